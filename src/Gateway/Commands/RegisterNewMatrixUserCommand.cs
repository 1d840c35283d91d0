using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Myelin.Gateway.Endpoints.Admin;
using Myelin.Silo.Configuration;

namespace Myelin.Gateway.Commands;

/// <summary>
/// <c>register_new_matrix_user</c> as Synapse ships it: registers a user through shared-secret registration
/// (<c>/_synapse/admin/v1/register</c>) of a running server, with the secret read from the homeserver config
/// (<c>-c homeserver.yaml</c>) or given (<c>-k</c>). Asks for what the command line leaves out when run
/// at a terminal.
/// </summary>
public static class RegisterNewMatrixUserCommand
{
    public const string Name = "register_new_matrix_user";

    const string Usage = """
        usage: register_new_matrix_user [-u USER] [-p PASSWORD | --password-file FILE] [-t USER_TYPE] [-a | --no-admin]
                                        [--exists-ok] (-c CONFIG | -k SHARED_SECRET) [server_url]
        Registers a user on a running homeserver with shared-secret registration.
          -u, --user            localpart of the new user
          -p, --password        the new user's password
          --password-file       a file holding the password
          -t, --user_type       user type: bot or support
          -a, --admin           make the user a server admin
          --no-admin            do not make the user a server admin (the default when not asked)
          --exists-ok           succeed when the user already exists
          -c, --config          homeserver config file(s) holding registration_shared_secret
          -k, --shared-secret   the shared secret, instead of a config file
          server_url            where the server's client API listens (default: the config's first http
                                listener on localhost, else https://localhost:8448)
        """;

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == Name;

    sealed class Options
    {
        public string? User, Password, PasswordFile, UserType, Secret, ServerUrl;
        public bool? Admin;
        public bool ExistsOk;
        public List<string> Configs = [];
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TextReader input, bool interactive,
        HttpMessageHandler? handler = null)
    {
        Options o;
        try { o = Parse(args); }
        catch (ArgumentException e)
        {
            error.WriteLine($"{Name}: {e.Message}");
            error.WriteLine(Usage);
            return 2;
        }

        string? secret = o.Secret;
        var serverUrl = o.ServerUrl;
        if (o.Configs.Count > 0)
        {
            ConfigDocument config;
            try { config = ConfigLoader.Load(o.Configs); }
            catch (ConfigException e)
            {
                error.WriteLine($"Configuration error: {e.Message}");
                return 1;
            }
            secret ??= config.String("registration_shared_secret");
            if (secret is null && config.String("registration_shared_secret_path") is { } path && File.Exists(path))
                secret = File.ReadAllText(path).Trim();
            serverUrl ??= ClientListenerUrl(config);
        }
        if (string.IsNullOrEmpty(secret))
        {
            error.WriteLine("No 'registration_shared_secret' or 'registration_shared_secret_path' defined in config.");
            return 1;
        }
        serverUrl ??= "https://localhost:8448";

        var user = o.User;
        if (user is null)
        {
            if (!interactive) { error.WriteLine($"{Name}: -u USER is needed when not run at a terminal"); return 2; }
            output.Write("New user localpart: ");
            user = input.ReadLine()?.Trim();
            if (string.IsNullOrEmpty(user)) { error.WriteLine("Invalid user name"); return 1; }
        }
        var password = o.Password;
        if (password is null && o.PasswordFile is { } file)
        {
            try { password = File.ReadAllText(file).TrimEnd('\r', '\n'); }
            catch (IOException e) { error.WriteLine($"Could not read the password file: {e.Message}"); return 1; }
        }
        if (password is null)
        {
            if (!interactive) { error.WriteLine($"{Name}: -p PASSWORD is needed when not run at a terminal"); return 2; }
            password = ReadSecret("Password: ", output);
            if (string.IsNullOrEmpty(password)) { error.WriteLine("Password cannot be blank."); return 1; }
            if (ReadSecret("Confirm password: ", output) != password) { error.WriteLine("Passwords do not match"); return 1; }
        }
        var admin = o.Admin;
        if (admin is null && interactive)
        {
            output.Write("Make admin [no]: ");
            admin = (input.ReadLine()?.Trim().ToLowerInvariant()) is "y" or "yes" or "true";
        }

        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = new Uri(serverUrl.TrimEnd('/') + "/");
        http.Timeout = TimeSpan.FromSeconds(30);
        try
        {
            output.WriteLine("Sending registration request...");
            var nonceResponse = await http.GetAsync("_synapse/admin/v1/register");
            if (!nonceResponse.IsSuccessStatusCode) return await FailAsync(nonceResponse, error);
            var nonce = (await nonceResponse.Content.ReadFromJsonAsync<JsonObject>())?["nonce"]?.GetValue<string>()
                ?? throw new InvalidOperationException("the server sent no nonce");
            var body = new JsonObject
            {
                ["nonce"] = nonce,
                ["username"] = user,
                ["password"] = password,
                ["admin"] = admin ?? false,
                ["mac"] = RegisterAdminEndpoints.Mac(secret, nonce, user, password, admin ?? false, o.UserType),
            };
            if (o.UserType is not null) body["user_type"] = o.UserType;
            var response = await http.PostAsync("_synapse/admin/v1/register",
                new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            if (response.IsSuccessStatusCode)
            {
                output.WriteLine("Success!");
                return 0;
            }
            var text = await response.Content.ReadAsStringAsync();
            if (o.ExistsOk && text.Contains("M_USER_IN_USE", StringComparison.Ordinal))
            {
                output.WriteLine($"User already exists. Skipping.");
                return 0;
            }
            error.WriteLine($"ERROR! Received {(int)response.StatusCode} {response.ReasonPhrase}");
            error.WriteLine(text);
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException)
        {
            error.WriteLine($"ERROR! Could not reach {serverUrl}: {e.Message}");
            return 1;
        }
    }

    static async Task<int> FailAsync(HttpResponseMessage response, TextWriter error)
    {
        error.WriteLine($"ERROR! Received {(int)response.StatusCode} {response.ReasonPhrase}");
        error.WriteLine(await response.Content.ReadAsStringAsync());
        return 1;
    }

    static Options Parse(string[] args)
    {
        var o = new Options();
        string Value(ref int i) => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-u" or "--user": o.User = Value(ref i); break;
                case "-p" or "--password": o.Password = Value(ref i); break;
                case "--password-file": o.PasswordFile = Value(ref i); break;
                case "-t" or "--user_type": o.UserType = Value(ref i); break;
                case "-a" or "--admin": o.Admin = o.Admin == false ? throw new ArgumentException("-a and --no-admin together") : true; break;
                case "--no-admin": o.Admin = o.Admin == true ? throw new ArgumentException("-a and --no-admin together") : false; break;
                case "--exists-ok": o.ExistsOk = true; break;
                case "-c" or "--config" or "--config-path": o.Configs.Add(Value(ref i)); break;
                case "-k" or "--shared-secret": o.Secret = Value(ref i); break;
                case "-h" or "--help": throw new ArgumentException("help");
                default:
                    if (args[i].StartsWith('-')) throw new ArgumentException($"unknown argument '{args[i]}'");
                    if (o.ServerUrl is not null) throw new ArgumentException($"unexpected argument '{args[i]}'");
                    o.ServerUrl = args[i];
                    break;
            }
        }
        if (o.Password is not null && o.PasswordFile is not null) throw new ArgumentException("-p and --password-file together");
        if (o.Configs.Count == 0 && o.Secret is null) throw new ArgumentException("one of -c CONFIG or -k SHARED_SECRET is needed");
        return o;
    }

    /// <summary>Synapse's tool: the first client listener, on localhost.</summary>
    static string? ClientListenerUrl(ConfigDocument config)
    {
        var section = config.Has("listeners") ? "listeners" : "worker_listeners";
        foreach (var l in config.List(section) ?? [])
        {
            if (l is not Dictionary<string, object?> listener) continue;
            if ((listener.GetValueOrDefault("type") as string ?? "http") != "http") continue;
            if (listener.GetValueOrDefault("port") is not long port) continue;
            var tls = listener.GetValueOrDefault("tls") is true;
            return $"{(tls ? "https" : "http")}://localhost:{port}";
        }
        return null;
    }

    static string ReadSecret(string prompt, TextWriter output)
    {
        output.Write(prompt);
        var sb = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (sb.Length > 0) sb.Length--; continue; }
            sb.Append(key.KeyChar);
        }
        output.WriteLine();
        return sb.ToString();
    }
}
