/// Where one core's time goes on a model's requests: embedding lookups
/// (with the dense-feature copy) against the dense forward, measured by
/// scoring requests on one replica. The performance model's embedding share.
public struct EngineBreakdown: Sendable, Codable {
    public var embeddingSeconds: Double
    public var denseSeconds: Double
    public var requests: Int
    public var embeddingShare: Double { embeddingSeconds / max(embeddingSeconds + denseSeconds, 1e-12) }

    /// Scores `requests` generated requests of `size` candidates (after one warm-up).
    public static func measure(served: ServedModel, generator: RequestGenerator, size: Int, requests: Int) throws -> EngineBreakdown {
        let replica = Replica(served: served, maxBatch: size)
        var out = [Float](repeating: 0, count: size)
        var e0 = 0.0, d0 = 0.0
        for k in 0...requests {
            let r = try served.decodeRequest(generator.body(candidates: size, seed: 11, index: UInt64(k)), limits: RequestLimits())
            if k == 1 { e0 = replica.embeddingSeconds; d0 = replica.denseSeconds }
            out.withUnsafeMutableBufferPointer { replica.score(r, 0..<size, out: $0.baseAddress!) }
        }
        return EngineBreakdown(embeddingSeconds: replica.embeddingSeconds - e0, denseSeconds: replica.denseSeconds - d0, requests: requests)
    }
}
