import Sparse

/// Which part of a data set.
public enum Split: String, Sendable, Codable, Equatable { case train, eval }

/// One batch of B samples.
///
/// ```
/// // B = 3, denseCount 2, a session of 2 samples then another user:
/// //   labels     [1, 0, 0]
/// //   dense      [d00, d01, d10, d11, d20, d21]          B x denseCount, row-major
/// //   itemSide   keys [item]: [[41], [7], [41]]           stride B
/// //   userSide   unique keys [user, history]:
/// //                row 0: [5], [3, 9]   row 1: [8], []    stride U = 2
/// //              inverse [0, 0, 1]
/// ```
public struct Batch: Sendable, Equatable {
    /// B samples.
    public var size: Int
    /// B labels, 0 or 1.
    public var labels: [Float]
    /// B x denseCount, row-major.
    public var dense: [Float]
    /// Per-sample pooled features (candidate item etc.), stride B.
    public var itemSide: KeyedJaggedTensor
    /// User-side features (user pooled ids and sequence features): unique rows + inverse.
    public var userSide: InverseKeyedJaggedTensor
    /// Global index of the first sample in its split.
    public var sampleIndex: Int

    public init(size: Int, labels: [Float], dense: [Float], itemSide: KeyedJaggedTensor,
                userSide: InverseKeyedJaggedTensor, sampleIndex: Int) {
        precondition(labels.count == size, "labels.count \(labels.count) != size \(size)")
        precondition(size == 0 || dense.count % size == 0, "dense.count \(dense.count) not a multiple of \(size)")
        precondition(itemSide.stride == size, "itemSide.stride \(itemSide.stride) != size \(size)")
        precondition(userSide.batchSize == size, "userSide.batchSize \(userSide.batchSize) != size \(size)")
        self.size = size; self.labels = labels; self.dense = dense
        self.itemSide = itemSide; self.userSide = userSide; self.sampleIndex = sampleIndex
    }

    /// Unique user-side rows per sample: B / U.
    public var duplicationFactor: Double { userSide.duplicationFactor }

    /// A source's `fill` in place: `b`'s parts are moved out (each then
    /// uniquely held, so refilling reuses its storage rather than copying
    /// it), the label and dense arrays emptied and the jagged tensors reset to
    /// `itemKeys` / `userKeys` when they held others; `fill` writes them, and
    /// they go back as `size` samples from `sampleIndex`.
    static func refill(_ b: inout Batch, size: Int, sampleIndex: Int, itemKeys: [String], userKeys: [String],
                       _ fill: (_ labels: inout [Float], _ dense: inout [Float],
                                _ item: inout KeyedJaggedTensor, _ user: inout InverseKeyedJaggedTensor) -> Void) {
        var labels: [Float] = [], dense: [Float] = []
        swap(&labels, &b.labels); swap(&dense, &b.dense)
        var item = placeholder.itemSide, user = placeholder.userSide
        swap(&item, &b.itemSide); swap(&user, &b.userSide)
        if item.keys != itemKeys { item = emptyTensor(itemKeys) }
        if user.keys != userKeys { user = .identity(emptyTensor(userKeys)) }
        labels.removeAll(keepingCapacity: true); dense.removeAll(keepingCapacity: true)
        fill(&labels, &dense, &item, &user)
        b.size = size; b.sampleIndex = sampleIndex
        b.labels = labels; b.dense = dense
        b.itemSide = item; b.userSide = user
    }

    /// What `refill` leaves in a batch while its parts are out (a constant:
    /// swapping it in allocates nothing).
    private static let placeholder = Batch.empty

    /// No rows over `keys`, to be refilled.
    private static func emptyTensor(_ keys: [String]) -> KeyedJaggedTensor {
        try! KeyedJaggedTensor(keys: keys, stride: 0, lengths: [], values: [])
    }

    /// A batch of no samples and no keys: storage for `BatchSource.fill` to grow.
    public static var empty: Batch {
        Batch(size: 0, labels: [], dense: [], itemSide: .empty(stride: 0), userSide: .identity(.empty(stride: 0)), sampleIndex: 0)
    }

    /// The same batch with user-side features expanded to one row per sample.
    public func withoutDedup() -> Batch {
        var b = self
        b.userSide = .identity(userSide.expanded())
        return b
    }

    /// Stacks batches (same keys, same dense width) in order. Unique user rows are
    /// concatenated; inverse indices are shifted. The result's `sampleIndex` is the
    /// first part's.
    public static func concatenating(_ parts: [Batch]) throws -> Batch {
        guard let first = parts.first else {
            return Batch(size: 0, labels: [], dense: [], itemSide: .empty(stride: 0),
                         userSide: .identity(.empty(stride: 0)), sampleIndex: 0)
        }
        let item = try KeyedJaggedTensor.concatenating(samplesOf: parts.map(\.itemSide))
        let unique = try KeyedJaggedTensor.concatenating(samplesOf: parts.map(\.userSide.unique))
        var inverse: [Int32] = []
        var shift: Int32 = 0
        for p in parts {
            inverse.append(contentsOf: p.userSide.inverse.map { $0 + shift })
            shift += Int32(p.userSide.uniqueCount)
        }
        return Batch(size: parts.reduce(0) { $0 + $1.size },
                     labels: parts.flatMap(\.labels), dense: parts.flatMap(\.dense),
                     itemSide: item,
                     userSide: try InverseKeyedJaggedTensor(unique: unique, inverse: inverse),
                     sampleIndex: first.sampleIndex)
    }
}

/// A random-access source of samples: `batch` is a pure function of its arguments.
public protocol BatchSource: Sendable {
    var schema: DatasetSchema { get }
    /// Number of samples in `split`.
    func sampleCount(_ split: Split) -> Int
    /// Samples `globalStart ..< globalStart + count` of `split` (clamped to the split's
    /// end). With `dedup`, the user-side IKJT keeps one row per run of samples sharing
    /// their user-side features; without, it is `identity` (U = B).
    func batch(globalStart: Int, count: Int, split: Split, dedup: Bool) -> Batch
    /// The same batch written into `batch`, reusing its storage where the
    /// source can (the prefetch thread's loop); by default a new batch.
    func fill(_ batch: inout Batch, globalStart: Int, count: Int, split: Split, dedup: Bool)
    /// The user behind sample `i` of `split`, for per-user metrics (GAUC);
    /// nil where the source has no users. A held-out user keeps their own
    /// number here even when their id feature is a shared row.
    func userGroup(_ i: Int, split: Split) -> Int?
}

/// A source that writes batches in place (`fill` is its own); `batch` is a fresh batch filled.
public protocol FillingBatchSource: BatchSource {}

extension FillingBatchSource {
    public func batch(globalStart: Int, count: Int, split: Split, dedup: Bool) -> Batch {
        var b = Batch.empty
        fill(&b, globalStart: globalStart, count: count, split: split, dedup: dedup)
        return b
    }
}

extension BatchSource {
    public func userGroup(_ i: Int, split: Split) -> Int? { nil }

    /// Whether `split` has samples and the source numbers their users (`userGroup`).
    public func knowsUsers(_ split: Split) -> Bool { sampleCount(split) > 0 && userGroup(0, split: split) != nil }

    public func fill(_ batch: inout Batch, globalStart: Int, count: Int, split: Split, dedup: Bool) {
        batch = self.batch(globalStart: globalStart, count: count, split: split, dedup: dedup)
    }

    public func batch(globalStart: Int, count: Int, split: Split) -> Batch {
        batch(globalStart: globalStart, count: count, split: split, dedup: true)
    }

    /// All samples of `split` in one batch.
    public func all(_ split: Split, dedup: Bool = true) -> Batch {
        batch(globalStart: 0, count: sampleCount(split), split: split, dedup: dedup)
    }
}

/// Rank `rank`'s share of global batch `globalBatch` of size `step`: the samples
/// `[k*G + start, k*G + start + count)`. When G is not divisible by R, the first
/// G % R ranks get one more sample.
///
/// ```
/// // G = 10, R = 4: ranks get 3, 3, 2, 2 samples
/// // sliceRange(globalBatch: 1, rank: 2, worldSize: 4, step: 10) == 16..<18
/// ```
public func sliceRange(globalBatch k: Int, rank r: Int, worldSize R: Int, step G: Int) -> Range<Int> {
    precondition(R > 0 && r >= 0 && r < R && G >= 0 && k >= 0,
                 "sliceRange: need 0 <= rank \(r) < worldSize \(R), step \(G) >= 0, batch \(k) >= 0")
    let base = G / R, extra = G % R
    let start = k * G + r * base + min(r, extra)
    return start..<(start + base + (r < extra ? 1 : 0))
}
