using AgentKanban.Core.Policies;

namespace AgentKanban.Core.Tests.Policies;

public sealed class ProviderErrorsTests
{
    [Theory]
    [InlineData(null, ErrorClass.None)]
    [InlineData("", ErrorClass.None)]
    [InlineData("server_error", ErrorClass.Transient)]
    [InlineData("overloaded", ErrorClass.Transient)]
    [InlineData("overloaded_error", ErrorClass.Transient)]
    [InlineData("api_error", ErrorClass.Transient)]
    [InlineData("authentication_failed", ErrorClass.Terminal)]
    [InlineData("billing_error", ErrorClass.Terminal)]
    [InlineData("invalid_request", ErrorClass.Terminal)]
    [InlineData("unknown", ErrorClass.Terminal)]
    [InlineData("something_new", ErrorClass.Terminal)]
    public void Classifies_provider_error_codes(string? code, ErrorClass expected)
    {
        Assert.Equal(expected, ProviderErrors.Classify(code));
    }

    [Theory]
    [InlineData(ErrorClass.None, ErrorClass.None, ErrorClass.None)]
    [InlineData(ErrorClass.None, ErrorClass.Transient, ErrorClass.Transient)]
    [InlineData(ErrorClass.Terminal, ErrorClass.Transient, ErrorClass.Terminal)]
    [InlineData(ErrorClass.Transient, ErrorClass.Terminal, ErrorClass.Terminal)]
    public void Worst_keeps_the_more_serious_class(ErrorClass a, ErrorClass b, ErrorClass expected)
    {
        Assert.Equal(expected, ProviderErrors.Worst(a, b));
    }
}
