/// An error every rank meets identically (a bad config, a bad argument, a bad
/// file): rank 0 reports it once and every rank exits with status 2, instead
/// of aborting the job from one rank. Messages name the file, line or key.
public struct InputError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ message: String) { description = message }
}
