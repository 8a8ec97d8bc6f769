import Foundation
import Sparse
import Tensors

/// Seeded, streaming, random-access synthetic sequence-DLRM data.
///
/// Global sample i of a split is a pure function of (seed, split, i): sample i
/// belongs to session slot `i / sessionLength` at position `i % sessionLength`; a
/// shuffle window maps slots to sessions; a session's features come from hashes
/// of (seed, split, session). So rank r generates only its slice
/// (`sliceRange(globalBatch:rank:worldSize:step:)`), and the slices of all ranks
/// concatenate to the global batch.
///
/// ```
/// // sessionLength 3, batch of samples 0..<5, dedup on:
/// //   sample      0     1     2     3     4
/// //   session     s0    s0    s0    s1    s1
/// //   item        a     b     c     d     e      (item side, per sample)
/// //   user        u0    u0    u0    u1    u1     (user side, shared)
/// //   history     h0    h0    h0    h1    h1
/// //   userSide.unique rows [u0,h0], [u1,h1]; inverse [0,0,0,1,1]
/// ```
///
/// Ids of each table follow Zipf(`exponent`) over ranks, scattered over rows by a
/// `ScatterPermutation`. Labels come from a planted logistic model: bias + dense
/// weights + hash weights of pooled ids + `matchStrength` x (fraction of history
/// items in the candidate's cluster − ½·affinity), so a model that reads the
/// history can beat one that does not. `planted` reports that model's own AUC.
public struct SyntheticDataset: FillingBatchSource {
    public let config: SyntheticConfig
    public let schema: DatasetSchema
    /// The schema's key lists, made once (each batch names its keys).
    let itemSideKeys: [String], userSideKeys: [String]

    let itemZipf: RankSampler
    let clusterZipf: RankSampler?
    let userZipf: ZipfSampler
    let extraZipf: [ZipfSampler]
    let itemScatter: ScatterPermutation
    let userScatter: ScatterPermutation
    let extraScatter: [ScatterPermutation]
    let denseWeights: [Double]

    /// `itemShape`: per-row reads of another table (`data.synthetic.item_popularity`,
    /// a trace's table) whose shape the item ranks follow instead of Zipf.
    public init(_ config: SyntheticConfig, itemShape: [Int]? = nil) {
        precondition(config.sessionLength > 0 && config.clusters > 0 && config.shuffleWindow > 0,
                     "sessionLength, clusters and shuffleWindow must be positive")
        self.config = config
        let s = config.seed
        func itemLaw(_ rows: Int) -> RankSampler {
            itemShape.map { .shaped(ShapedSampler(count: rows, shape: $0)) }
                ?? .zipf(ZipfSampler(count: rows, exponent: config.exponent(forTable: "item")))
        }
        itemZipf = itemLaw(config.itemRows)
        clusterZipf = config.itemRows >= config.clusters ? itemLaw(config.itemRows / config.clusters) : nil
        userZipf = ZipfSampler(count: config.userRows, exponent: config.exponent(forTable: "user"))
        extraZipf = config.extraTables.map { ZipfSampler(count: $0.rows, exponent: config.exponent(forTable: $0.name)) }
        itemScatter = ScatterPermutation(count: config.itemRows, seed: hash(s, 101))
        userScatter = ScatterPermutation(count: config.userRows, seed: hash(s, 102))
        extraScatter = config.extraTables.enumerated().map {
            ScatterPermutation(count: $0.element.rows, seed: hash(s, 103, UInt64($0.offset)))
        }
        denseWeights = (0..<config.denseCount).map { signedUnit(hash(s, 104, UInt64($0))) }
        var features = [FeatureSpec(name: "item", table: "item", kind: .pooled, userSide: false)]
        features += config.extraTables.map { FeatureSpec(name: $0.name, table: $0.name, kind: .pooled, userSide: false) }
        features += [FeatureSpec(name: "user", table: "user", kind: .pooled, userSide: true),
                     FeatureSpec(name: "history", table: "item", kind: .sequence, userSide: true)]
        schema = DatasetSchema(
            denseCount: config.denseCount,
            tables: [TableSpec(name: "item", rows: config.itemRows),
                     TableSpec(name: "user", rows: config.userRows)] + config.extraTables,
            features: features)
        itemSideKeys = schema.itemSideKeys
        userSideKeys = schema.userSideKeys
    }

    public func sampleCount(_ split: Split) -> Int {
        split == .train ? config.samples : config.evalSamples
    }

    // MARK: Sessions and samples

    func splitSeed(_ split: Split) -> UInt64 { hash(config.seed, split == .train ? 1 : 2) }

    /// Session id and position of global sample `i` (after the shuffle window).
    func locate(_ i: Int, split: Split) -> (session: Int, position: Int) {
        let L = config.sessionLength, W = config.shuffleWindow
        let slot = i / L, pos = i % L
        guard W > 1 else { return (slot, pos) }
        let w = slot / W
        let perm = ScatterPermutation(count: W, seed: hash(splitSeed(split), 201, UInt64(w)))
        return (w * W + perm(slot % W), pos)
    }

    func idWeight(table: UInt64, row: Int64) -> Double {
        signedUnit(hash(config.seed, 400 &+ table, UInt64(row))) * 1.7
    }

    /// A Zipf item: its row and its cluster. Clusters are residues of the Zipf
    /// rank (rank % clusters), so the cluster is a fixed function of the row.
    @inline(__always)
    func drawItem(_ g: inout StrataRNG) -> (row: Int64, cluster: Int) {
        let rank = itemZipf.sample(&g) - 1
        return (Int64(itemScatter(rank)), rank % config.clusters)
    }

    /// A Zipf-ranked item of cluster `c`: rank k*clusters + c with k Zipf over the
    /// cluster's ranks, O(1) per draw.
    @inline(__always)
    func drawItem(inCluster c: Int, _ g: inout StrataRNG) -> (row: Int64, cluster: Int) {
        guard let z = clusterZipf else { return drawItem(&g) }
        let rank = (z.sample(&g) - 1) * config.clusters + c
        return (Int64(itemScatter(rank)), c)
    }

    /// One session's user-side draws: its history (up to `historyMaxLength`
    /// rows) and per-cluster history counts (`clusters` of them) live in
    /// caller-owned memory, so drawing a session allocates nothing.
    struct Session {
        var id: Int, user: Int64, cluster: Int, historyCount: Int
        var clusterCounts: UnsafePointer<Int>
    }

    func drawSession(_ id: Int, split: Split, history: UnsafeMutablePointer<Int64>?,
                     clusterCounts: UnsafeMutablePointer<Int>) -> Session {
        var g = StrataRNG(seed: hash(splitSeed(split), 501, UInt64(id)))
        let user = Int64(userScatter(userZipf.sample(&g) - 1))
        let c = Int(hash(config.seed, 502, UInt64(user)) % UInt64(config.clusters))
        let len = Int(g.next() % UInt64(config.historyMaxLength + 1))
        clusterCounts.update(repeating: 0, count: config.clusters)
        for k in 0..<len {
            let item = g.nextUnit() < config.historyAffinity ? drawItem(inCluster: c, &g) : drawItem(&g)
            history?[k] = item.row
            clusterCounts[item.cluster] += 1
        }
        return Session(id: id, user: user, cluster: c, historyCount: len, clusterCounts: clusterCounts)
    }

    /// The item side, dense features, label and logit parts of one sample;
    /// extra table t's bag goes to `extras + t * extrasStride` with its length
    /// in `bagLengths[t]`, and the dense features to `dense` [denseCount], when given.
    func sample(_ s: Session, position: Int, split: Split, extras: UnsafeMutablePointer<Int64>?,
                extrasStride: Int = 0, bagLengths: UnsafeMutablePointer<Int32>? = nil,
                dense: UnsafeMutablePointer<Float>?) -> (item: Int64, baseLogit: Double, matchLogit: Double, label: Float) {
        var g = StrataRNG(seed: hash(splitSeed(split), 601 &+ UInt64(position), UInt64(s.id)))
        let item = g.nextUnit() < config.candidateAffinity ? drawItem(inCluster: s.cluster, &g) : drawItem(&g)
        var logit = config.bias
        logit += config.idWeightScale * (idWeight(table: 0, row: item.row) + idWeight(table: 1, row: s.user))
        let bags = config.extraIdsPerBag
        for t in 0..<extraZipf.count {
            // A bag's size is drawn only when sizes vary, so one-id bags take
            // no draw for it: their data (and the losses pinned on it) do not
            // depend on extra_ids_per_bag being set.
            let len = bags.count == 1 ? bags.lowerBound : bags.lowerBound + Int(g.next() % UInt64(bags.count))
            bagLengths?[t] = Int32(len)
            var weights = 0.0
            for i in 0..<len {
                // A uniform law needs no scattering (any permutation of it is
                // itself), and the permutation's cycle-walking hashes were
                // most of the cost of a multi-hot uniform bag.
                let rank = extraZipf[t].sample(&g) - 1
                let row = Int64(extraZipf[t].isUniform ? rank : extraScatter[t](rank))
                extras?[t * extrasStride + i] = row
                weights += idWeight(table: 2 + UInt64(t), row: row)
            }
            if len > 0 { logit += config.idWeightScale * weights / Double(len) }
        }
        var denseTerm = 0.0
        for j in 0..<config.denseCount {
            let x = g.nextNormal()
            dense?[j] = Float(x)
            denseTerm += denseWeights[j] * x
        }
        logit += config.denseWeightScale * denseTerm
        let frac = s.historyCount == 0 ? 0 : Double(s.clusterCounts[item.cluster]) / Double(s.historyCount)
        let match = config.matchStrength * (frac - 0.5 * config.historyAffinity)
        let p = 1 / (1 + exp(-(logit + match)))
        let label: Float = g.nextUnit() < p ? 1 : 0
        return (item.row, logit, match, label)
    }

    // MARK: Batches

    /// Writes the batch into `b`, reusing the storage of its arrays (and of
    /// its jagged tensors when they already have this source's keys): once a
    /// batch has held a batch of this size, refilling it allocates nothing.
    public func fill(_ b: inout Batch, globalStart: Int, count: Int, split: Split, dedup: Bool) {
        let start = max(0, min(globalStart, sampleCount(split)))
        let n = max(0, min(count, sampleCount(split) - start))
        let E = config.extraTables.count, D = config.denseCount, maxBag = config.extraIdsPerBag.upperBound
        // Unique user-side rows: a new one when the session changes (or
        // always, without dedup); sessions come from positions alone.
        var u = 0, previous = -1
        for j in 0..<n {
            let sid = locate(start + j, split: split).session
            if !dedup || j == 0 || sid != previous { u += 1 }
            previous = sid
        }
        Batch.refill(&b, size: n, sampleIndex: start, itemKeys: itemSideKeys, userKeys: userSideKeys) { labels, dense, item, user in
        labels.append(contentsOf: repeatElement(0, count: n))
        dense.append(contentsOf: repeatElement(0, count: n * D))
        // Scratch for one session's history and cluster counts and one
        // sample's bag sizes (on the stack when small: a refill allocates
        // nothing); the bags themselves go straight into `items`.
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: max(config.historyMaxLength, 1)) { scratch in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(config.clusters, 1)) { counts in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(E, 1)) { bagLengths in
        let history = scratch.baseAddress!
        var s = Session(id: -1, user: 0, cluster: 0, historyCount: 0, clusterCounts: UnsafePointer(counts.baseAddress!))
        try! item.refill(stride: n) { itemLengths, items in
            itemLengths.append(contentsOf: repeatElement(1, count: n * (1 + E)))
            // Key-major: n candidate items, then each extra table's bags. A
            // bag is written at its padded place (maxBag ids per bag, in
            // table-then-sample order) and packed after the batch: a bag's
            // packed start is never after its padded one, so packing in order
            // overwrites only ids already moved.
            items.append(contentsOf: repeatElement(0, count: n + n * E * maxBag))
            try! user.refill(uniqueCount: u) { userLengths, userValues, inverse in
                // [1 x U user ids | U history lengths], values [U users | histories]
                userLengths.append(contentsOf: repeatElement(1, count: u))
                userLengths.append(contentsOf: repeatElement(0, count: u))
                userValues.append(contentsOf: repeatElement(0, count: u))
                inverse.append(contentsOf: repeatElement(0, count: n))
                var row = -1, previous = -1
                dense.withUnsafeMutableBufferPointer { denseOut in
                items.withUnsafeMutableBufferPointer { itemsOut in
                    // The bags go straight to their padded places in `items`.
                    let extras = itemsOut.baseAddress! + n
                    for j in 0..<n {
                        let (sid, pos) = locate(start + j, split: split)
                        if s.id != sid { s = drawSession(sid, split: split, history: history, clusterCounts: counts.baseAddress!) }
                        let smp = sample(s, position: pos, split: split, extras: extras + j * maxBag, extrasStride: n * maxBag,
                                         bagLengths: bagLengths.baseAddress!, dense: denseOut.baseAddress.map { $0 + j * D })
                        labels[j] = smp.label
                        itemsOut[j] = smp.item
                        for t in 0..<E { itemLengths[(1 + t) * n + j] = bagLengths[t] }
                        if !dedup || j == 0 || previous != sid {
                            row += 1
                            userValues[row] = s.user
                            userLengths[u + row] = Int32(s.historyCount)
                            userValues.append(contentsOf: UnsafeBufferPointer(start: history, count: s.historyCount))
                        }
                        previous = sid
                        inverse[j] = Int32(row)
                    }
                }
                }
            }
            var packed = n
            for t in 0..<E {
                for j in 0..<n {
                    let at = n + (t * n + j) * maxBag
                    for i in 0..<Int(itemLengths[(1 + t) * n + j]) { items[packed] = items[at + i]; packed += 1 }
                }
            }
            items.removeLast(items.count - packed)
        }
        }
        }
        }
        }
    }

    // MARK: The planted model

    /// The planted model's true probabilities on the first `samples` samples of
    /// `split` (all by default); without `includeMatch`, the history/candidate
    /// match term is left out (a model blind to the sequence).
    public func plantedScores(split: Split, samples: Int? = nil, includeMatch: Bool = true) -> (scores: [Double], labels: [Float]) {
        let n = min(samples ?? sampleCount(split), sampleCount(split))
        var scores: [Double] = [], labels: [Float] = []
        scores.reserveCapacity(n); labels.reserveCapacity(n)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(config.clusters, 1))
        defer { counts.deallocate() }
        var s = Session(id: -1, user: 0, cluster: 0, historyCount: 0, clusterCounts: UnsafePointer(counts))
        for i in 0..<n {
            let (sid, pos) = locate(i, split: split)
            if s.id != sid { s = drawSession(sid, split: split, history: nil, clusterCounts: counts) }
            let smp = sample(s, position: pos, split: split, extras: nil, dense: nil)
            let z = smp.baseLogit + (includeMatch ? smp.matchLogit : 0)
            scores.append(1 / (1 + exp(-z)))
            labels.append(smp.label)
        }
        return (scores, labels)
    }

    /// AUC and logloss of the planted model's own probabilities (Bayes-optimal
    /// with `includeMatch`) on the same samples a trained model is scored on.
    public func planted(split: Split = .eval, samples: Int? = nil, includeMatch: Bool = true) -> BinaryMetrics {
        let (s, l) = plantedScores(split: split, samples: samples, includeMatch: includeMatch)
        return BinaryMetrics(scores: s, labels: l)
    }
}
