import ArgumentParser
import CLISupport
import Foundation

/// `strata serve` and `strata loadgen` run in `strata-serve`, this binary's
/// sibling in the build folder: the only one that links the HTTP stack, so the
/// trainer's build (`swift build --product strata`, Launch/train) never
/// compiles swift-nio or Hummingbird. `strata` hands such a command over before
/// parsing (exec, same arguments), so the sibling's parser gives its full
/// `--help` and its errors; `strata --help` lists both through the stubs below.
enum ServingHandOver {
    static let commands: Set<String> = ["serve", "loadgen"]

    /// Replaces this process with `strata-serve ARGUMENTS` when the arguments
    /// name a serving command (`serve ...`, `loadgen ...`, `help serve ...`);
    /// returns otherwise. A missing sibling ends the process with exit 2.
    static func execIfServing(_ arguments: [String]) {
        let named = arguments.first == "help" ? arguments.dropFirst().first : arguments.first
        guard let named, commands.contains(named) else { return }
        let path = siblingPath
        guard FileManager.default.isExecutableFile(atPath: path) else {
            fail("`strata \(named)` runs \(path), which is not built: build it with "
                 + "`swift build -c release --product strata-serve` (Launch/test builds it too)")
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, &argv)
        fail("cannot run \(path): \(String(cString: strerror(errno)))")
    }

    /// `strata-serve` beside this executable (symbolic links resolved).
    static var siblingPath: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent("strata-serve")
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(("strata: error: \(message)\n").data(using: .utf8)!)
        exit(2)
    }
}

/// `strata serve` in `strata --help`; never runs (ServingHandOver execs first).
struct ServeHandOver: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: ServingHelp.serve)
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
    func run() throws { ServingHandOver.execIfServing(["serve"] + arguments) }
}

/// `strata loadgen` in `strata --help`; never runs (ServingHandOver execs first).
struct LoadgenHandOver: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "loadgen", abstract: ServingHelp.loadgen)
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
    func run() throws { ServingHandOver.execIfServing(["loadgen"] + arguments) }
}
