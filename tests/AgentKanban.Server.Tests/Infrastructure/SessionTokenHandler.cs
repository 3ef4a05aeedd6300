using System.Net.Http.Headers;
using System.Security.Cryptography;
using AgentKanban.Contracts.Auth;

namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>Signs a fresh ES256 session JWT for every request, as the agent's CLI does.</summary>
public sealed class SessionTokenHandler : DelegatingHandler
{
    private readonly string _sessionId;
    private readonly ECDsa _key;
    private readonly string _audience;
    private readonly TimeProvider _time;

    public SessionTokenHandler(string sessionId, string privateKeyPkcs8Base64, string audience, TimeProvider time)
    {
        _sessionId = sessionId;
        _key = ECDsa.Create();
        _key.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKeyPkcs8Base64), out _);
        _audience = audience;
        _time = time;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string token;
        lock (_key)
        {
            token = SessionToken.Create(_sessionId, _audience, _key, _time.GetUtcNow());
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return base.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
    }
}
