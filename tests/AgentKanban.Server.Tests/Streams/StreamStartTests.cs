using AgentKanban.Server.Streams;
using Microsoft.AspNetCore.Http;

namespace AgentKanban.Server.Tests.Streams;

public sealed class StreamStartTests
{
    [Fact]
    public void Without_a_cursor_the_stream_starts_now()
    {
        var start = StreamStart.From(Request(header: null, query: ""));

        Assert.Null(start.InvalidField);
        Assert.Equal(120, start.Resolve(latestId: 120));
    }

    [Fact]
    public void Header_wins_over_the_query()
    {
        var start = StreamStart.From(Request(header: "17", query: "?last_event_id=3&since=0"));

        Assert.Equal(17, start.Resolve(latestId: 120));
    }

    [Fact]
    public void Query_fallback_and_since_are_read_in_that_order()
    {
        Assert.Equal(3, StreamStart.From(Request(header: null, query: "?last_event_id=3&since=0")).Resolve(100));
        Assert.Equal(0, StreamStart.From(Request(header: null, query: "?since=0")).Resolve(100));
    }

    [Fact]
    public void A_cursor_beyond_the_log_means_now()
    {
        var start = StreamStart.From(Request(header: "999", query: ""));

        Assert.Equal(50, start.Resolve(latestId: 50));
    }

    [Theory]
    [InlineData("abc", "", "Last-Event-ID")]
    [InlineData("-4", "", "Last-Event-ID")]
    [InlineData(null, "?last_event_id=1.5", "last_event_id")]
    [InlineData(null, "?since=x", "since")]
    [InlineData(null, "?since=99999999999999999999999", "since")]
    public void Garbage_names_the_field(string? header, string query, string field)
    {
        var start = StreamStart.From(Request(header, query));

        Assert.Equal(field, start.InvalidField);
    }

    private static HttpRequest Request(string? header, string query)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        if (header is not null)
        {
            context.Request.Headers[StreamStart.LastEventIdHeader] = header;
        }

        return context.Request;
    }
}
