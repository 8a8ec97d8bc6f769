/// Names, shapes and offsets of every tensor that lives in one flat buffer.
///
/// Parameters, gradients and optimizer state share one layout, so an optimizer
/// is a single flat loop over `count` floats and a dense all-reduce is one call
/// (llm.c's `fill_in_parameter_sizes`).
///
///     var layout = ParameterLayout()
///     layout.add("bottom.0.weight", shape: [4, 3])   // offset 0, 12 floats
///     layout.add("bottom.0.bias", shape: [4])        // offset 12, 4 floats
///     layout.count                                   // 16
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var entries: [Entry] = []
    /// Total number of floats.
    public private(set) var count: Int = 0

    public init() {}

    /// Appends an entry and returns its offset.
    @discardableResult
    public mutating func add(_ name: String, shape: [Int]) -> Int {
        precondition(!entries.contains { $0.name == name }, "duplicate parameter \(name)")
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in \(name)")
        let entry = Entry(name: name, shape: shape, offset: count)
        entries.append(entry)
        count += entry.count
        return entry.offset
    }

    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    public func offset(of name: String) -> Int {
        guard let e = entry(named: name) else { preconditionFailure("no parameter \(name)") }
        return e.offset
    }
}
