namespace Myelin.Gateway;

/// <summary>
/// The single-process defaults, merged under any <c>--config-path</c> files: Synapse's keys, with open
/// registration (m.login.dummy) so a newcomer's client can sign up at once. Production configs set
/// <c>enable_registration: false</c> or a shared secret.
/// </summary>
public static class GatewayDefaults
{
    public const string Yaml = """
        server_name: localhost
        enable_registration: true
        listeners:
          - port: 8008
            bind_addresses: ['127.0.0.1']
            type: http
            x_forwarded: false
            resources:
              - names: [client, federation]
        database:
          name: sqlite3
          args:
            database: data/homeserver.db
        """;
}
