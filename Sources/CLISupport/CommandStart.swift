import Collectives
import Foundation

/// What every command that writes a run does first, said once: name its run
/// folder and print its progress lines.

/// `given` (--run-dir / --out), else `runs/<name>-<UTC time>` on rank 0's
/// clock, broadcast so that every rank names the same folder even when their
/// clocks straddle a second. Collective: every rank calls it.
package func runFolderPath(_ given: String?, name: String, world: Communicator) -> String {
    let stamp = world.broadcast(.control, bytes: Array(runTimestamp().utf8), root: 0)
    return given ?? "runs/\(name)-\(String(decoding: stamp, as: UTF8.self))"
}

/// A run folder's time stamp: `yyyyMMdd-HHmmss`, UTC.
package func runTimestamp(_ date: Date = Date()) -> String {
    let f = DateFormatter()
    f.dateFormat = "yyyyMMdd-HHmmss"
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: date)
}

/// Progress lines on standard output, each flushed at once (mpirun forwards a
/// rank's output by line, and a buffered line would arrive after the job's
/// end), or nil with --quiet. Only rank 0 prints when `rank` is given.
package func progressPrinter(quiet: Bool, rank: Int = 0) -> ((String) -> Void)? {
    guard !quiet, rank == 0 else { return nil }
    return { line in print(line); fflush(stdout) }
}
