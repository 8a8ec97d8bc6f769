import ArgumentParser
import Collectives
import Foundation
import Training

/// The one error exit of every command: `strata: error: <one sentence>` on
/// stderr and exit status 2.

/// The rank mpirun gave this process, read before MPI starts (for errors met
/// before the world exists). Only the command-line layer reads the environment.
package var launchedRank: Int {
    ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init) ?? 0
}

/// The world size mpirun gave this process, read before MPI starts.
package var launchedWorldSize: Int {
    ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init) ?? 1
}

/// One line on stderr.
package func printError(_ line: String) {
    FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}

/// Says an input error met before the ranks can talk, once per job.
///
/// Every rank of an mpirun job reads the same config and meets the same
/// error, but the first rank to exit makes mpirun end the rest: if that is a
/// rank that stayed silent, the sentence is lost (seen under load in CI).
/// So rank 0 says it and exits at once, and any other rank waits `grace`
/// seconds first. If rank 0 met the error too, mpirun ends this rank during
/// the wait and the job prints one line; a rank that outlives the wait met an
/// error rank 0 did not (a file only it reads), and says it, naming itself.
package func sayInputError(_ sentence: String, grace: Double = 5) {
    if launchedRank == 0 || launchedWorldSize <= 1 {
        printError("strata: error: \(sentence)")
        return
    }
    Thread.sleep(forTimeInterval: grace)
    printError("strata: rank \(launchedRank): error: \(sentence)")
}

/// Says `message` (see `sayInputError`) and gives the exit code to throw.
package func inputFailure(_ message: String) -> ExitCode {
    sayInputError(message)
    return ExitCode(2)
}

/// The same for a caught error. An `ExitCode` was already reported by whoever
/// threw it, so it passes through unprinted (no second "ExitCode(rawValue: 2)"
/// line); Foundation's file errors are said in words naming the path.
package func inputFailure(_ error: Error) -> ExitCode {
    if let done = error as? ExitCode { return done }
    sayInputError(errorSentence(error))
    return ExitCode(2)
}

/// An error as the sentence a user reads: file-system errors in words, the
/// rest as they describe themselves.
package func errorSentence(_ error: Error) -> String { FileSystemError.words(error) ?? "\(error)" }

/// Refuses, before any work, an output folder that cannot be made or
/// written (a parent that is a file, no permission, a file in its place),
/// naming that folder rather than whatever the run would have failed on.
package func requireOutputFolder(_ path: String?, what: String) throws {
    guard let path else { return }
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
        throw inputFailure(InputError("cannot use \(path) as \(what): it is a file, not a folder"))
    }
    if let why = FileSystemError.diagnose(path: path, what: what) { throw inputFailure(InputError(why)) }
}

/// Loads `--config` (with `--set` overrides), or fails with the file's message.
package func loadConfig(_ file: String, _ overrides: [String]) throws -> RunConfig {
    do { return try ConfigLoader.load(file: file, overrides: overrides) } catch { throw inputFailure(error) }
}

/// Runs a root command as ArgumentParser would, except that a command line
/// it cannot parse (a value that is not a number, a missing option) is one
/// sentence and status 2, like every other bad input, with the option's
/// allowed range when `allowed` knows it; an error a command throws is said
/// in words.
package func runCommandLine<Root: ParsableCommand>(_ root: Root.Type,
                                                  allowed: (_ option: String, _ arguments: [String]) -> Allowed?) -> Never {
    do {
        var command = try root.parseAsRoot()
        try command.run()
        exit(0)
    } catch {
        let code = root.exitCode(for: error)
        if error is ExitCode || code == .success { root.exit(withError: error) }
        // An ExitCode thrown from a `validate()` arrives wrapped; its sentence is already out.
        if code.rawValue == 2 { Foundation.exit(2) }
        if code == .validationFailure {
            var line = root.message(for: error).split(separator: "\n").first.map(String.init) ?? "bad command line"
            if let r = line.range(of: #"'--[a-z0-9-]+"#, options: .regularExpression),
               let range = allowed(String(line[r].dropFirst()), CommandLine.arguments) {
                line += ": \(line[r].dropFirst()) must be \(range)"
            }
            sayInputError(line)
            Foundation.exit(2)
        }
        sayInputError(errorSentence(error))
        Foundation.exit(2)
    }
}
