/// A batch of sparse features: for each key (feature) and each sample, a jagged
/// list of ids ("a bag"), stored key-major in flat arrays.
///
/// Only `keys`, `stride`, `lengths`, `values` and `weights` are data. `offsets`,
/// `offsetPerKey` and `lengthPerKey` are derived in `init` and can never disagree
/// with the data (TorchRec's constructor takes them as input; this one does not).
///
/// Worked example: keys `["f1", "f2"]`, stride (batch size) 3.
///
/// ```
///              sample 0    sample 1    sample 2
///   "f1"       [V0, V1]    [V2]        []
///   "f2"       [V3]        [V4, V5]    [V6]
///
///   keys:          ["f1", "f2"]
///   stride:        3
///   values:        [V0, V1, V2, V3, V4, V5, V6]
///   lengths:       [2, 1, 0,  1, 2, 1]          K*stride, key-major
///   offsets:       [0, 2, 3, 3, 4, 6, 7]        K*stride + 1 (derived)
///   lengthPerKey:  [3, 4]                       K (derived)
///   offsetPerKey:  [0, 3, 7]                    K + 1 (derived)
/// ```
///
/// The bag of key `k`, sample `b` is `values[offsets[k*stride + b] ..< offsets[k*stride + b + 1]]`.
/// `weights`, when present, runs parallel to `values` (one weight per id).
public struct KeyedJaggedTensor: Sendable, Equatable {
    /// Feature names, K of them, in storage order.
    public let keys: [String]
    /// Rows per key: the batch size B.
    public private(set) var stride: Int
    /// Bag sizes, key-major: `lengths[k*stride + b]`. Count K*stride.
    public private(set) var lengths: [Int32]
    /// The ids of every bag, concatenated key-major. Count N = sum(lengths).
    public private(set) var values: [Int64]
    /// Optional per-id weights, parallel to `values`.
    public let weights: [Float]?

    /// Derived: bag start offsets into `values`, count K*stride + 1.
    public private(set) var offsets: [Int]
    /// Derived: start of each key's ids in `values`, count K + 1.
    public private(set) var offsetPerKey: [Int]
    /// Derived: number of ids of each key, count K.
    public private(set) var lengthPerKey: [Int]

    /// Validates and builds a KJT; offsets are derived here.
    ///
    /// - Throws: `KJTError` when `lengths.count != keys.count * stride`, a length is
    ///   negative, `values.count != sum(lengths)`, weights do not match values,
    ///   keys repeat, or stride is negative.
    public init(keys: [String], stride: Int, lengths: [Int32], values: [Int64],
                weights: [Float]? = nil) throws {
        guard stride >= 0 else { throw KJTError.invalid("stride \(stride) is negative") }
        guard Set(keys).count == keys.count else {
            throw KJTError.invalid("keys repeat: \(keys)")
        }
        guard lengths.count == keys.count * stride else {
            throw KJTError.invalid(
                "lengths.count \(lengths.count) != keys.count \(keys.count) * stride \(stride)")
        }
        var offsets = [Int](repeating: 0, count: lengths.count + 1)
        var running = 0
        for (i, l) in lengths.enumerated() {
            guard l >= 0 else { throw KJTError.invalid("lengths[\(i)] = \(l) is negative") }
            running += Int(l)
            offsets[i + 1] = running
        }
        guard running == values.count else {
            throw KJTError.invalid("values.count \(values.count) != sum(lengths) \(running)")
        }
        if let w = weights, w.count != values.count {
            throw KJTError.invalid("weights.count \(w.count) != values.count \(values.count)")
        }
        var offsetPerKey = [Int](repeating: 0, count: keys.count + 1)
        for k in 0..<keys.count { offsetPerKey[k + 1] = offsets[(k + 1) * stride] }
        self.keys = keys
        self.stride = stride
        self.lengths = lengths
        self.values = values
        self.weights = weights
        self.offsets = offsets
        self.offsetPerKey = offsetPerKey
        self.lengthPerKey = (0..<keys.count).map { offsetPerKey[$0 + 1] - offsetPerKey[$0] }
    }

    /// Rebuilds this tensor in place over the same keys (no weights): `fill`
    /// rewrites `lengths` (K x `newStride`) and `values`, whose storage, like
    /// the derived offsets', is kept. Once the arrays have grown to a batch's
    /// size, refilling allocates nothing (the prefetch thread's batch loop).
    /// Validates as `init` does; on error the tensor is left empty.
    public mutating func refill(stride newStride: Int, _ fill: (inout [Int32], inout [Int64]) -> Void) throws {
        precondition(weights == nil, "refill of a weighted jagged tensor")
        guard newStride >= 0 else { throw KJTError.invalid("stride \(newStride) is negative") }
        lengths.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        fill(&lengths, &values)
        let K = keys.count
        func fail(_ why: String) -> KJTError {
            stride = 0; lengths.removeAll(keepingCapacity: true); values.removeAll(keepingCapacity: true)
            offsets.removeAll(keepingCapacity: true); offsets.append(0)
            for k in 0..<K { offsetPerKey[k + 1] = 0; lengthPerKey[k] = 0 }
            return KJTError.invalid(why)
        }
        guard lengths.count == K * newStride else {
            throw fail("lengths.count \(lengths.count) != keys.count \(K) * stride \(newStride)")
        }
        stride = newStride
        offsets.removeAll(keepingCapacity: true)
        offsets.append(0)
        var running = 0
        for i in 0..<lengths.count {
            let l = lengths[i]
            guard l >= 0 else { throw fail("lengths[\(i)] = \(l) is negative") }
            running += Int(l)
            offsets.append(running)
        }
        guard running == values.count else { throw fail("values.count \(values.count) != sum(lengths) \(running)") }
        for k in 0..<K {
            offsetPerKey[k + 1] = offsets[(k + 1) * newStride]
            lengthPerKey[k] = offsetPerKey[k + 1] - offsetPerKey[k]
        }
    }

    /// A KJT with no keys (and so no ids) over `stride` samples.
    public static func empty(stride: Int) -> KeyedJaggedTensor {
        // Cannot fail: zero keys, zero lengths, zero values.
        try! KeyedJaggedTensor(keys: [], stride: stride, lengths: [], values: [])
    }

    /// Builds a KJT from nested bags: `bags[k][b]` is the id list of key k, sample b.
    ///
    /// ```
    /// try KeyedJaggedTensor(keys: ["f1", "f2"],
    ///                       bags: [[[0, 1], [2], []], [[3], [4, 5], [6]]])
    /// // values [0,1,2,3,4,5,6], lengths [2,1,0,1,2,1]
    /// ```
    public init(keys: [String], bags: [[[Int64]]]) throws {
        guard bags.count == keys.count else {
            throw KJTError.invalid("bags.count \(bags.count) != keys.count \(keys.count)")
        }
        let stride = bags.first?.count ?? 0
        var lengths: [Int32] = []
        var values: [Int64] = []
        for (k, perKey) in bags.enumerated() {
            guard perKey.count == stride else {
                throw KJTError.invalid("key \(keys[k]) has \(perKey.count) bags, expected \(stride)")
            }
            for bag in perKey {
                lengths.append(Int32(bag.count))
                values.append(contentsOf: bag)
            }
        }
        try self.init(keys: keys, stride: stride, lengths: lengths, values: values)
    }

    /// Number of keys K.
    public var keyCount: Int { keys.count }

    /// Index of `key` in `keys`, or nil.
    public func index(ofKey key: String) -> Int? { keys.firstIndex(of: key) }

    /// All ids of `key` (every sample's bag, concatenated), or nil if absent.
    public func values(forKey key: String) -> ArraySlice<Int64>? {
        guard let k = index(ofKey: key) else { return nil }
        return values[offsetPerKey[k]..<offsetPerKey[k + 1]]
    }

    /// The `stride` bag sizes of `key`, or nil if absent.
    public func lengths(forKey key: String) -> ArraySlice<Int32>? {
        guard let k = index(ofKey: key) else { return nil }
        return lengths[(k * stride)..<((k + 1) * stride)]
    }

    /// All ids of key index `k` (no string work: the step loop's accessor).
    public func values(key k: Int) -> ArraySlice<Int64> { values[offsetPerKey[k]..<offsetPerKey[k + 1]] }

    /// The `stride` bag sizes of key index `k`.
    public func lengths(key k: Int) -> ArraySlice<Int32> { lengths[(k * stride)..<((k + 1) * stride)] }

    /// The bag of key index `key`, sample `sample`.
    public func bag(key: Int, sample: Int) -> ArraySlice<Int64> {
        precondition(key >= 0 && key < keys.count && sample >= 0 && sample < stride,
                     "bag(key: \(key), sample: \(sample)) out of range K=\(keys.count) B=\(stride)")
        let i = key * stride + sample
        return values[offsets[i]..<offsets[i + 1]]
    }
}

/// Why a KJT or IKJT could not be built.
public enum KJTError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let why): return "invalid jagged tensor: \(why)" }
    }
}
