/// One client's samples: dense features, the ids of every sparse feature's
/// slots (one, or a bag's; `ModelSpec.slots` a sample), labels.
/// Built when the client is sampled and dropped after its round, so memory
/// follows the round's clients, never the population.
public struct ClientSamples: Sendable, Equatable {
    public var count: Int
    public var dense: [Float]    // [count x denseFeatures]
    public var ids: [Int32]      // [count x slots], each within its table (-1: an empty bag slot)
    public var labels: [Float]   // [count], 0 or 1

    public init(count: Int, dense: [Float], ids: [Int32], labels: [Float]) {
        self.count = count
        self.dense = dense
        self.ids = ids
        self.labels = labels
    }

    public static let empty = ClientSamples(count: 0, dense: [], ids: [], labels: [])

    /// Samples `range` (in order).
    public func slice(_ range: Range<Int>, denseFeatures nd: Int, idsPerSample P: Int) -> ClientSamples {
        ClientSamples(count: range.count,
                      dense: Array(dense[(range.lowerBound * nd)..<(range.upperBound * nd)]),
                      ids: Array(ids[(range.lowerBound * P)..<(range.upperBound * P)]),
                      labels: Array(labels[range]))
    }

    /// This followed by `other`.
    public func appending(_ other: ClientSamples) -> ClientSamples {
        ClientSamples(count: count + other.count, dense: dense + other.dense, ids: ids + other.ids,
                      labels: labels + other.labels)
    }
}

/// A client's data split by time: the last `testFraction` of its samples (at
/// least one when it has two or more and the fraction is positive) are its test split.
public struct ClientData: Sendable, Equatable {
    public var train: ClientSamples
    public var test: ClientSamples

    public init(train: ClientSamples, test: ClientSamples) {
        self.train = train
        self.test = test
    }

    /// Splits time-ordered samples: the last `fraction` (rounded, >= 1 when count >= 2) are test.
    public init(timeOrdered s: ClientSamples, testFraction fraction: Double, denseFeatures nd: Int, idsPerSample P: Int) {
        let cut = s.count - ClientData.testCount(s.count, fraction: fraction)
        train = s.slice(0..<cut, denseFeatures: nd, idsPerSample: P)
        test = s.slice(cut..<s.count, denseFeatures: nd, idsPerSample: P)
    }

    /// Test samples of a client with `count` samples.
    public static func testCount(_ count: Int, fraction: Double) -> Int {
        var nTest = Int((Double(count) * fraction).rounded())
        if count >= 2 && fraction > 0 { nTest = max(nTest, 1) }
        return min(nTest, count)
    }
}

/// Where clients come from. `data(client:)` must be a pure function of the
/// source's configuration and the client id (every rank builds the same data),
/// and cost O(the client's samples), never O(population).
public protocol ClientSource: Sendable {
    var population: Int { get }
    var denseFeatures: Int { get }
    var tableRows: [Int] { get }
    /// Id slots per sample of each sparse feature (1: one id; L: a bag of up to L).
    var bagSizes: [Int] { get }
    func data(client: Int) throws -> ClientData
    /// The client's training samples, without building them (the device model's work).
    func trainCount(client: Int) -> Int
    /// The user attributes treated as public (FEL clusters on them).
    func publicFeatures(client: Int) -> [Double]
    /// A ground-truth group for per-group evaluation, when the source has one.
    func trueGroup(client: Int) -> Int?
    /// A short description for summaries.
    var describe: String { get }
}

extension ClientSource {
    public var bagSizes: [Int] { tableRows.map { _ in 1 } }
    /// Ids a sample stores (every feature's slots).
    public var idsPerSample: Int { bagSizes.reduce(0, +) }
}

public struct ClientDataError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
