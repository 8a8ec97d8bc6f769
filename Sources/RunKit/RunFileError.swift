/// A run file that could not be written, as one sentence naming it ("cannot
/// write the run file /r/summary.json: no space left on the device"). Not an
/// `InputError`: the input was fine, the disk was not.
public struct RunFileError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ message: String) { description = message }
}
