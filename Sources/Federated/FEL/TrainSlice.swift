/// One part of every client's training samples, split by time like the test
/// split: the last `fraction` (at least one when a client has two or more)
/// are held out, the rest lead. FEL trains its leaves on the leading part and
/// its over-arch on the held-out part, so the over-arch learns how far to
/// trust each leaf on samples the leaf has not fit (stacking on the samples
/// the leaves fit teaches it to trust them too much). The test split is the
/// base's, untouched.
public struct TrainSlice: ClientSource {
    public enum Part: Sendable { case leading, heldOut }
    public let base: ClientSource
    public let fraction: Double
    public let part: Part

    public init(_ base: ClientSource, fraction: Double, part: Part) {
        self.base = base
        self.fraction = fraction
        self.part = part
    }

    public var population: Int { base.population }
    public var denseFeatures: Int { base.denseFeatures }
    public var tableRows: [Int] { base.tableRows }
    public var bagSizes: [Int] { base.bagSizes }
    public func publicFeatures(client: Int) -> [Double] { base.publicFeatures(client: client) }
    public func trueGroup(client: Int) -> Int? { base.trueGroup(client: client) }
    public var describe: String { base.describe }

    /// The split rule is the test split's (`ClientData.testCount`), on the training samples.
    func range(_ n: Int) -> Range<Int> {
        let cut = n - ClientData.testCount(n, fraction: fraction)
        return part == .leading ? 0..<cut : cut..<n
    }

    public func data(client: Int) throws -> ClientData {
        var d = try base.data(client: client)
        d.train = d.train.slice(range(d.train.count), denseFeatures: denseFeatures, idsPerSample: idsPerSample)
        return d
    }

    public func trainCount(client: Int) -> Int { range(base.trainCount(client: client)).count }
}
