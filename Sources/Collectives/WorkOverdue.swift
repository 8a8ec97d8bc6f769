/// An item handed to a worker group whose result did not come back within
/// its limit: the group is stopped or hung. The coordinator ends the job (exit
/// `StepTimeout.exitCode`) naming the item and the group's ranks, instead of
/// waiting for a result that will not come.
public struct WorkOverdue: Error, CustomStringConvertible {
    /// The limit in seconds, the key that sets it and what an item is
    /// ("point", "variant"), all named in the sentence.
    public struct Limit: Sendable {
        public var seconds: Double
        public var key: String
        public var noun: String
        public init(seconds: Double, key: String, noun: String = "item") { self.seconds = seconds; self.key = key; self.noun = noun }
    }
    public var item: Int
    public var group: Int
    public var ranks: [Int]
    public var limit: Limit

    public var description: String {
        let who = ranks.count == 1 ? "rank \(ranks[0])" : "ranks \(ranks.map(String.init).joined(separator: ", "))"
        return "\(limit.noun) \(item) did not come back from worker group \(group) (\(who)) within \(limit.seconds) s "
            + "(\(limit.key)): a rank of it is stopped or hung; ending the job"
    }
}
