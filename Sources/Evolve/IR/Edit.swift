/// One edit of a kernel's IR, addressed by the ids of the ORIGINAL function's
/// instructions (a copy made by `insert` is never itself a target).
///
///     delete(a)          a becomes a no-op placeholder; its uses are re-pointed
///     insert(a, b)       a copy of b goes before a
///     replace(a, b)      a is replaced by a copy of b (same result type; a keeps its name)
///     swap(a, b)         a and b exchange places
///     move(a, b)         b moves to just before a
///     operand(a, k)      a's k-th value operand becomes another same-typed value that dominates a
///
/// `seed` drives every choice the edit makes (the value an operand-replace
/// picks, the values repair picks), so applying an edit list is deterministic.
public struct Edit: Codable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case delete, insert, replace, swap, move, operand
    }

    public var kind: Kind
    public var a: Int
    public var b: Int
    public var operand: Int
    public var seed: UInt64

    public init(_ kind: Kind, _ a: Int, _ b: Int = -1, operand: Int = -1, seed: UInt64 = 0) {
        self.kind = kind
        self.a = a
        self.b = b
        self.operand = operand
        self.seed = seed
    }

    /// "delete(12)#3", "insert(12,40)#7", "operand(5,1)#9".
    public var description: String {
        let args: String
        switch kind {
        case .delete: args = "\(a)"
        case .operand: args = "\(a),\(operand)"
        default: args = "\(a),\(b)"
        }
        return "\(kind.rawValue)(\(args))#\(seed)"
    }

    public static func < (l: Edit, r: Edit) -> Bool {
        (l.kind.rawValue, l.a, l.b, l.operand, l.seed) < (r.kind.rawValue, r.a, r.b, r.operand, r.seed)
    }
}

/// The cache key of a genome: its edits sorted, so the same set of edits in
/// another order shares one fitness (GEVO's choice; the order can matter, and
/// the cache then keeps the fitness of the order evaluated first).
public func cacheKey(_ edits: [Edit]) -> String {
    edits.sorted().map(\.description).joined(separator: " ")
}
