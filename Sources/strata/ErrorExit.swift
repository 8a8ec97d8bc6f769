import ArgumentParser
import Collectives
import Foundation

/// The one error exit of every command: `strata: error: <one sentence>` on
/// rank 0's stderr and exit status 2.

/// Prints `strata: error: message` and gives the exit code to throw.
func inputFailure(_ message: String) -> ExitCode {
    printError("strata: error: \(message)")
    return ExitCode(2)
}

/// The same for a caught error. An `ExitCode` was already reported by whoever
/// threw it, so it passes through unprinted (no second "ExitCode(rawValue: 2)"
/// line); Foundation's file errors are said in words naming the path.
func inputFailure(_ error: Error) -> ExitCode {
    if let done = error as? ExitCode { return done }
    if launchedRank == 0 { printError("strata: error: \(errorSentence(error))") }
    return ExitCode(2)
}

/// An error as the sentence a user reads: file-system errors in words, the
/// rest as they describe themselves.
func errorSentence(_ error: Error) -> String { FileSystemError.words(error) ?? "\(error)" }

/// Refuses, before any work, an output folder that cannot be made or
/// written (a parent that is a file, no permission, a file in its place),
/// naming that folder rather than whatever the run would have failed on.
func requireOutputFolder(_ path: String?, what: String) throws {
    guard let path else { return }
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
        throw inputFailure(InputError("cannot use \(path) as \(what): it is a file, not a folder"))
    }
    if let why = FileSystemError.diagnose(path: path, what: what) { throw inputFailure(InputError(why)) }
}
