/// A run stopped on a signal (SIGTERM from a scheduler before it kills,
/// SIGINT from a terminal): every rank finished the same step and a
/// checkpoint was written. The process exits with 128 + the signal number,
/// as a shell reports a signalled program (143 for SIGTERM, 130 for SIGINT);
/// `--resume` continues the run.
public struct Stopped: Error, CustomStringConvertible {
    public var step: Int
    public var signal: Int32
    public init(step: Int, signal: Int32) { self.step = step; self.signal = signal }
    public var exitCode: Int32 { 128 + signal }
    public var description: String { "stopped by signal \(signal) after step \(step); a checkpoint was written" }
}
