import Tensors

/// k-means (k-means++ seeding, then Lloyd's iterations), deterministic for a seed.
public struct KMeans: Sendable, Equatable {
    public var centroids: [[Double]]

    public init(centroids: [[Double]]) { self.centroids = centroids }

    public static func fit(_ points: [[Double]], k: Int, seed: UInt64, iterations: Int = 50) -> KMeans {
        precondition(k >= 1 && !points.isEmpty, "k-means needs k >= 1 and points")
        var rng = StrataRNG(seed: StrataRNG.hash(seed: seed, stream: 0x4B4D, index: 0))
        func uniform() -> Double { Double(rng.next() >> 11) * 0x1p-53 }
        var centers = [points[Int(rng.next() % UInt64(points.count))]]
        var d2 = points.map { dist2($0, centers[0]) }
        while centers.count < min(k, points.count) {
            let total = d2.reduce(0, +)
            var pick = 0
            if total > 0 {
                var x = uniform() * total
                for (i, d) in d2.enumerated() { x -= d; if x < 0 { pick = i; break } }
            } else { pick = centers.count }
            centers.append(points[pick])
            for i in points.indices { d2[i] = min(d2[i], dist2(points[i], points[pick])) }
        }
        while centers.count < k { centers.append(centers[0]) }
        var model = KMeans(centroids: centers)
        var assign = [Int](repeating: -1, count: points.count)
        for _ in 0..<iterations {
            var changed = false
            for (i, p) in points.enumerated() {
                let a = model.assign(p)
                if a != assign[i] { assign[i] = a; changed = true }
            }
            var sums = [[Double]](repeating: [Double](repeating: 0, count: points[0].count), count: k)
            var counts = [Int](repeating: 0, count: k)
            for (i, p) in points.enumerated() {
                counts[assign[i]] += 1
                for d in p.indices { sums[assign[i]][d] += p[d] }
            }
            for c in 0..<k where counts[c] > 0 { model.centroids[c] = sums[c].map { $0 / Double(counts[c]) } }
            if !changed { break }
        }
        return model
    }

    static func dist2(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { let d = a[i] - b[i]; s += d * d }
        return s
    }

    /// The nearest centroid (lowest index on ties).
    public func assign(_ p: [Double]) -> Int {
        var best = 0, bestD = Double.infinity
        for (c, m) in centroids.enumerated() {
            let d = KMeans.dist2(p, m)
            if d < bestD { bestD = d; best = c }
        }
        return best
    }
}
