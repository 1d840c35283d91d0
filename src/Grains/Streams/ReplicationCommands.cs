using System.Globalization;

namespace Myelin.Grains.Streams;

/// <summary>
/// One line of Synapse's replication protocol (docs/tcp_replication.md, synapse/replication/tcp/commands.py):
/// the first word names the command, the rest is its arguments. Over Redis every process publishes its
/// lines on the channel named after the server, and every process reads all of them.
/// </summary>
public abstract record ReplicationCommand
{
    public abstract string Name { get; }

    /// <summary>The line as it goes on the wire, without a line ending.</summary>
    public abstract string ToLine();

    /// <summary>Parses one line; null for a blank line. Throws <see cref="FormatException"/> for a
    /// malformed known command; an unknown command parses to <see cref="OtherCommand"/>.</summary>
    public static ReplicationCommand? Parse(string line)
    {
        line = line.TrimEnd('\r', '\n');
        if (line.Length == 0) return null;
        var space = line.IndexOf(' ');
        var name = space < 0 ? line : line[..space];
        var args = space < 0 ? "" : line[(space + 1)..];
        return name switch
        {
            RdataCommand.Command => RdataCommand.ParseArgs(args),
            PositionCommand.Command => PositionCommand.ParseArgs(args),
            PingCommand.Command => new PingCommand(args),
            ReplicateCommand.Command => new ReplicateCommand(),
            _ => new OtherCommand(name, args),
        };
    }

    internal static long ParseToken(string s, string what) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v : throw new FormatException($"invalid {what} '{s}'");
}

/// <summary>
/// <c>RDATA &lt;stream&gt; &lt;instance&gt; &lt;token&gt; &lt;row-json&gt;</c>: one row of a stream. A token of
/// <c>batch</c> (null here) means more rows with the same token follow; the last one carries it.
/// </summary>
public sealed record RdataCommand(string Stream, string Instance, long? Token, string RowJson) : ReplicationCommand
{
    public const string Command = "RDATA";
    public override string Name => Command;

    public override string ToLine() =>
        $"RDATA {Stream} {Instance} {(Token is { } t ? t.ToString(CultureInfo.InvariantCulture) : "batch")} {RowJson}";

    internal static RdataCommand ParseArgs(string args)
    {
        // The row is JSON and may contain spaces: only the first three words are split off.
        var parts = args.Split(' ', 4);
        if (parts.Length < 4) throw new FormatException("RDATA needs <stream> <instance> <token> <row>");
        var token = parts[2] == "batch" ? (long?)null : ParseToken(parts[2], "RDATA token");
        return new RdataCommand(parts[0], parts[1], token, parts[3]);
    }
}

/// <summary>
/// <c>POSITION &lt;stream&gt; &lt;instance&gt; &lt;prev_token&gt; &lt;new_token&gt;</c>: the writer's position moved from
/// prev to new. A reader whose last known position of that writer is below prev missed rows in between.
/// </summary>
public sealed record PositionCommand(string Stream, string Instance, long PrevToken, long NewToken) : ReplicationCommand
{
    public const string Command = "POSITION";
    public override string Name => Command;

    public override string ToLine() =>
        string.Create(CultureInfo.InvariantCulture, $"POSITION {Stream} {Instance} {PrevToken} {NewToken}");

    internal static PositionCommand ParseArgs(string args)
    {
        var parts = args.Split(' ');
        if (parts.Length != 4) throw new FormatException("POSITION needs <stream> <instance> <prev_token> <new_token>");
        return new PositionCommand(parts[0], parts[1], ParseToken(parts[2], "POSITION prev_token"), ParseToken(parts[3], "POSITION new_token"));
    }
}

/// <summary><c>PING &lt;data&gt;</c>: keep-alive; Synapse sends the time in milliseconds.</summary>
public sealed record PingCommand(string Data) : ReplicationCommand
{
    public const string Command = "PING";
    public override string Name => Command;
    public override string ToLine() => Data.Length == 0 ? Command : $"PING {Data}";
}

/// <summary><c>REPLICATE</c>: asks every writer for the current position of its streams (answered with POSITION).</summary>
public sealed record ReplicateCommand : ReplicationCommand
{
    public const string Command = "REPLICATE";
    public override string Name => Command;
    public override string ToLine() => Command;
}

/// <summary>Any other command (NAME, USER_SYNC, ERROR, ...): carried through, ignored by the bus.</summary>
public sealed record OtherCommand(string CommandName, string Args) : ReplicationCommand
{
    public override string Name => CommandName;
    public override string ToLine() => Args.Length == 0 ? CommandName : $"{CommandName} {Args}";
}
