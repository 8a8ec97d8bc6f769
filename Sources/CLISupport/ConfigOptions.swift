import ArgumentParser

/// `--config` and `--set`, declared once for every command that reads a
/// config (train, plan, fl and its subcommands, iae, distill, evolve, sweep,
/// data, bench train), so each says and parses them the same way.
package struct ConfigOptions: ParsableArguments {
    @Option(help: ArgumentHelp("YAML config file (the command's --help says what it holds and its default).", valueName: "file"))
    package var config: String?

    @Option(name: .customLong("set"),
            help: ArgumentHelp("Override a config key (repeatable): a dotted key and a YAML value, e.g. run.steps=100 or iae.lambdas=[0.1,1].",
                               valueName: "key=value"))
    package var overrides: [String] = []

    package init() {}

    /// The config file of a command that has no default one.
    package func required(_ what: String) throws -> String {
        guard let config else { throw ValidationError("--config is required (\(what))") }
        return config
    }
}

/// The folder a command writes its results to. `--run-dir` is its name
/// everywhere; `--out`, what evolve and sweep called it, is the same option.
package struct RunFolderOptions: ParsableArguments {
    @Option(name: [.customLong("run-dir"), .customLong("out")],
            help: ArgumentHelp("Run folder, created if missing (--out is an alias of --run-dir; the command's --help says its default).",
                               valueName: "dir"))
    package var runDir: String?

    package init() {}

    /// The folder of a command that has no default one.
    package func required() throws -> String {
        guard let runDir else { throw ValidationError("--run-dir (or --out) is required") }
        return runDir
    }
}
