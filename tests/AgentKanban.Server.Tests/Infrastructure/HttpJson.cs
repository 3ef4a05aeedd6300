using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>JSON over HttpClient with the wire contracts' source-generated metadata, and readable failures.</summary>
public static class HttpJson
{
    public static Task<HttpResponseMessage> PostJsonAsync<T>(this HttpClient client, string url, T body, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        client.SendJsonAsync(HttpMethod.Post, url, body, typeInfo, cancellationToken);

    public static Task<HttpResponseMessage> PatchJsonAsync<T>(this HttpClient client, string url, T body, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        client.SendJsonAsync(HttpMethod.Patch, url, body, typeInfo, cancellationToken);

    public static Task<HttpResponseMessage> PutJsonAsync<T>(this HttpClient client, string url, T body, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        client.SendJsonAsync(HttpMethod.Put, url, body, typeInfo, cancellationToken);

    public static Task<HttpResponseMessage> SendJsonAsync<T>(this HttpClient client, HttpMethod method, string url, T body, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var request = new HttpRequestMessage(method, url) { Content = Json(body, typeInfo) };
        return client.SendAsync(request, cancellationToken);
    }

    /// <summary>Sends raw text as the body (for malformed-input tests).</summary>
    public static Task<HttpResponseMessage> SendRawAsync(this HttpClient client, HttpMethod method, string url, string body, string contentType = "application/json", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var request = new HttpRequestMessage(method, url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return client.SendAsync(request, cancellationToken);
    }

    public static StringContent Json<T>(T body, JsonTypeInfo<T> typeInfo)
    {
        var content = new StringContent(JsonSerializer.Serialize(body, typeInfo), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    /// <summary>Asserts the status (showing the body when it differs) and parses the JSON answer.</summary>
    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response, HttpStatusCode expected, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == expected,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode} {response.StatusCode}, expected {(int)expected}: {text}");
        return JsonSerializer.Deserialize(text, typeInfo) ?? throw new InvalidOperationException("null JSON body");
    }

    /// <summary>Asserts an error answer: status, JSON envelope, and (optionally) its code and field.</summary>
    public static async Task<ErrorBody> ReadErrorAsync(this HttpResponseMessage response, HttpStatusCode expected, string? code = null, string? field = null, CancellationToken cancellationToken = default)
    {
        var envelope = await response.ReadAsync(expected, ContractsJsonContext.Default.ErrorEnvelope, cancellationToken);
        Assert.False(string.IsNullOrWhiteSpace(envelope.Error.Message));
        if (code is not null)
        {
            Assert.Equal(code, envelope.Error.Code);
        }

        if (field is not null)
        {
            Assert.Equal(field, envelope.Error.Field);
        }

        return envelope.Error;
    }

    public static async Task ExpectAsync(this HttpResponseMessage response, HttpStatusCode expected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.StatusCode != expected)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        }
    }
}
