import ArgumentParser
import Foundation
import Training

/// Prints `strata: error: ...` and gives the exit code to throw.
package func inputFailure(_ message: String) -> ExitCode {
    FileHandle.standardError.write(("strata: error: \(message)\n").data(using: .utf8)!)
    return ExitCode(2)
}

/// Loads `--config` (with `--set` overrides), or fails with the file's message.
package func loadConfig(_ file: String, _ overrides: [String]) throws -> RunConfig {
    do { return try ConfigLoader.load(file: file, overrides: overrides) } catch { throw inputFailure("\(error)") }
}
