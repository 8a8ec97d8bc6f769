import Foundation
import Sparse
import Tensors

/// Options of the MovieLens reader.
public struct MovieLensConfig: Sendable, Codable, Equatable {
    /// At most this many history items (the most recent ones).
    public var historyLength: Int = 50
    /// Which ratings are eval: each user's last ones (`time`), or every rating
    /// of a held-out share of users (`users`).
    public var split = MovieLensSplit.time
    /// Split `time`: each user's last `evalPerUser` ratings (in time order) are eval.
    public var evalPerUser: Int = 5
    /// Split `users`: the share of users held out whole, in (0, 1).
    public var heldoutUsers: Double = 0.2
    /// Split `users`: the seed of the draw of held-out users (`MovieLensSplit.heldOut`).
    public var splitSeed: UInt64 = 1
    /// A user's ratings less than this many seconds apart form one session; a
    /// session's samples share their history (0: only equal timestamps do).
    public var sessionGapSeconds: Int = 3600
    /// Dense features per sample: the first 4 are real, a 5th, the history
    /// window's liked share, and a 6th, its item-based affinity to the
    /// candidate (`HistoryAffinity`), when asked for (see `MovieLensDataset`);
    /// the rest zero padding; fewer keeps the first `denseCount`.
    public var denseCount: Int = 4
    /// Split the history by the user's past feedback into two sequences,
    /// `history_liked` (rated >= 4) and `history_disliked`, instead of one
    /// `history`, so target attention can match the candidate against each (DIN
    /// with behaviour feedback). The window is the same last `historyLength` items.
    public var historyFeedback: Bool = false
    /// Train in a fixed pseudo-random order of user-side rows (the samples sharing
    /// one history stay together, so dedup still finds them) instead of by user
    /// then time, which hands SGD one user at a time. Eval order is unchanged.
    public var shuffleTrain: Bool = false
    /// History sequences read their own table `history_movie` (movies numbered as
    /// in `movie`) instead of sharing the candidate's table `movie`.
    public var historyTable: Bool = false
    /// The share of training user-side rows (history windows) whose `user`
    /// feature is the shared unknown row instead of the user's own, in [0, 1):
    /// user-id dropout, so the unknown row is trained and the model learns to
    /// score from the history alone, as it must for a user it never saw. 0 keeps
    /// every id (and no unknown row under the time split).
    public var userDropout: Double = 0
    public init() {}

    // A config written before `split` existed (a run folder's config.json) decodes as the time split.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        historyLength = try c.decode(Int.self, forKey: .historyLength)
        split = try c.decodeIfPresent(MovieLensSplit.self, forKey: .split) ?? .time
        evalPerUser = try c.decode(Int.self, forKey: .evalPerUser)
        heldoutUsers = try c.decodeIfPresent(Double.self, forKey: .heldoutUsers) ?? heldoutUsers
        splitSeed = try c.decodeIfPresent(UInt64.self, forKey: .splitSeed) ?? splitSeed
        sessionGapSeconds = try c.decode(Int.self, forKey: .sessionGapSeconds)
        denseCount = try c.decode(Int.self, forKey: .denseCount)
        historyFeedback = try c.decode(Bool.self, forKey: .historyFeedback)
        shuffleTrain = try c.decode(Bool.self, forKey: .shuffleTrain)
        historyTable = try c.decode(Bool.self, forKey: .historyTable)
        userDropout = try c.decodeIfPresent(Double.self, forKey: .userDropout) ?? 0
    }
}

/// MovieLens ml-latest-small as sequence-recommendation samples.
///
/// Each rating is a sample, label `rating >= 4`. Item side: `movie` (pooled, table
/// `movie`, movies numbered in `movies.csv` order) and `genres` (multi-hot pooled,
/// table `genre`). User side: `user` (pooled, table `user`) and `history` (sequence
/// on table `movie`, or `history_movie` with `historyTable`): the user's TRAINING ratings from before the current SESSION
/// began, oldest first, at most `historyLength`. Split `time`: an eval sample's
/// history never holds eval ratings, so no eval label reaches a feature. Split
/// `users`: a held-out user's history is their own earlier (eval) ratings, never
/// the sample's own or a later one, as a new user's past at serving time. With `historyFeedback`
/// the window is split by label into `history_liked` and `history_disliked` (both
/// sequences on the history's table, each oldest first).
///
/// Sessions: a user's ratings (sorted by time) split where consecutive timestamps
/// differ by more than `sessionGapSeconds`. All samples of a session share the
/// same user-side row, so the batch's IKJT keeps one row per session run; and the
/// history of every sample is strictly earlier than its candidate (a session
/// starts strictly after the previous rating's timestamp).
///
/// ```
/// // user 3 rates at t = 100, 200, 9000, 9100 (gap 3600):
/// //   sample   movie   session   history
/// //   0        a       s0        []
/// //   1        b       s0        []
/// //   2        c       s1        [a, b]
/// //   3        d       s1        [a, b]        -> unique rows 2, inverse [0,0,1,1]
/// // historyFeedback, a liked and b not: sample 2's history_liked [a], history_disliked [b]
/// ```
///
/// With `sessionGapSeconds: 0` a session is one timestamp, so the history is every
/// earlier training rating (at most `historyLength`), the items just rated included.
///
/// Split by time (`split: .time`): each user's last `evalPerUser` ratings are
/// eval. Split by users (`split: .users`): a seeded share of users
/// (`heldoutUsers`, `splitSeed`) is eval whole, everyone else train whole; a
/// held-out rating's history is the same user's earlier ratings (the same
/// window and feedback halves), and its `user` id is the shared, never-trained
/// `unknownUserRow` (the `user` table has one row more). Samples are
/// ordered by user, then time (ties by movie). Dense features: log1p(ratings of the
/// user before the session), (year − 2000) / 20 (0 if unknown), log1p(history
/// length), genre count / 3, and from a 5th on: the history window's liked share,
/// (liked + 1) / (length + 2) (a feature of the history, like its sequences: a
/// new user's earlier feedback, read with their earlier ratings); from a 6th on:
/// the window's item-based affinity to the candidate (`HistoryAffinity`: the
/// user's feedback on movies like it, against their liked share, with
/// similarities from the training ratings of every other user); zero padded to
/// `denseCount`.
public struct MovieLensDataset: FillingBatchSource {
    public let config: MovieLensConfig
    public let schema: DatasetSchema
    /// Genre names; a genre's row is its index.
    public let genres: [String]
    /// Original MovieLens ids, by dense index.
    public let movieIds: [Int]
    public let userIds: [Int]
    /// Malformed lines skipped while reading (with `skipBadLines`).
    public let badLines: Int
    /// What the reader noticed and chose, for the run's log (a missing header line).
    public let notes: [String]

    // Ratings sorted by (user, time, movie).
    let user: [Int32], movie: [Int32], time: [Int], label: [Float]
    let userStart: [Int]       // per rating: first rating of its user
    let sessionStart: [Int]    // per rating: first rating of its session
    let historyEnd: [Int]      // per rating: min(its session's start, its user's first eval rating)
    let likedBefore: [Int]     // per rating index i: liked ratings among ratings 0..<i (one more entry)
    let affinity: [Float]      // per rating: `HistoryAffinity` (empty below dense_count 6)
    let movieGenres: [[Int64]], movieYear: [Float]
    let trainIndex: [Int], evalIndex: [Int]
    /// Per dense user: held out whole by the `users` split (all false for `time`).
    let heldOut: [Bool]
    /// The `user` table's row for users never trained on (split `users` only):
    /// one row past the users, its own, so no training sample ever updates it.
    public let unknownUserRow: Int?
    /// The schema's keys, kept so a refill builds no key arrays.
    let itemSideKeys: [String], userSideKeys: [String]

    /// `skipBadLines`: count and skip malformed lines (and ratings of unknown
    /// movies) instead of refusing the file at the first one.
    public init(directory: String, config: MovieLensConfig = MovieLensConfig(), skipBadLines: Bool = false) throws {
        self.config = config
        for (name, v) in [("history_length", config.historyLength), ("eval_per_user", config.evalPerUser),
                          ("session_gap_seconds", config.sessionGapSeconds), ("dense_count", config.denseCount)] where v < 0 {
            throw DataError.invalidConfig("data.movielens.\(name) must not be negative, got \(v)")
        }
        // Ratings before movies, as fl reads them: both refuse the same file first.
        var notes: [String] = []
        let ratingsPath = directory + "/ml-latest-small-ratings.csv"
        let ratings = try MovieLensRatings.read(ratingsPath, skipBadLines: skipBadLines, notes: &notes)
        let movies = try MovieLensMovies(path: directory + "/ml-latest-small-movies.csv", skipBadLines: skipBadLines, notes: &notes)
        movieGenres = movies.genres.map { $0.map(Int64.init) }
        movieYear = movies.years; movieIds = movies.ids; genres = movies.genreNames
        var bad = movies.badLines + ratings.badLines
        var rows: [(u: Int, m: Int32, t: Int, y: Float)] = []
        rows.reserveCapacity(ratings.rows.count)
        for r in ratings.rows {
            guard let m = movies.row(of: r.movie) else {
                guard skipBadLines else { throw DataError.malformedLine(file: ratingsPath, line: r.line, reason: movies.unknown(r.movie)) }
                bad += 1; continue
            }
            rows.append((r.user, m, r.timestamp, r.rating >= 4 ? 1 : 0))
        }
        guard !rows.isEmpty else { throw DataError.emptyFile(file: ratingsPath) }
        if bad > 0 { notes.append("skipped \(bad) malformed lines (data.skip_bad_lines)") }
        badLines = bad
        self.notes = notes
        rows.sort { ($0.u, $0.t, $0.m) < ($1.u, $1.t, $1.m) }
        let uids = Array(Set(rows.map(\.u))).sorted()
        let userIndex = Dictionary(uniqueKeysWithValues: uids.enumerated().map { ($1, Int32($0)) })
        userIds = uids
        user = rows.map { userIndex[$0.u]! }; movie = rows.map(\.m); time = rows.map(\.t); label = rows.map(\.y)

        let held = config.split == .users
            ? try MovieLensSplit.heldOut(userIds: uids, share: config.heldoutUsers, seed: config.splitSeed)
            : [Bool](repeating: false, count: uids.count)
        heldOut = held
        // A held-out user's `user` feature is the unknown row (one past the
        // users), never one of their own: see `userRow`.
        unknownUserRow = config.split == .users || config.userDropout > 0 ? uids.count : nil
        let (us, ss, he, train, eval) = Self.sessions(user: user, time: time, heldOut: held, config: config)
        userStart = us; sessionStart = ss; historyEnd = he
        var liked = [0]
        liked.reserveCapacity(rows.count + 1)
        for k in 0..<rows.count { liked.append(liked[k] + (label[k] > 0.5 ? 1 : 0)) }
        likedBefore = liked
        trainIndex = config.shuffleTrain ? Self.shuffledByRow(train, historyEnd: he) : train
        evalIndex = eval
        if config.denseCount > 5 {
            var inTraining = [Bool](repeating: false, count: rows.count)
            for r in train { inTraining[r] = true }
            let (us, he, length) = (us, he, config.historyLength)
            affinity = HistoryAffinity.compute(user: user, movie: movie, label: label, inSums: inTraining, movieCount: movies.ids.count,
                                               history: { Self.window($0, userStart: us, historyEnd: he, length: length) },
                                               share: { Self.likedShare($0, likedBefore: liked) })
        } else {
            affinity = []
        }

        schema = DatasetSchema(
            denseCount: config.denseCount,
            tables: [TableSpec(name: "movie", rows: movies.ids.count), TableSpec(name: "genre", rows: movies.genreNames.count),
                     TableSpec(name: "user", rows: uids.count + (unknownUserRow == nil ? 0 : 1))]
                + (config.historyTable ? [TableSpec(name: "history_movie", rows: movies.ids.count)] : []),
            features: [FeatureSpec(name: "movie", table: "movie", kind: .pooled, userSide: false),
                       FeatureSpec(name: "genres", table: "genre", kind: .pooled, userSide: false),
                       FeatureSpec(name: "user", table: "user", kind: .pooled, userSide: true)]
                + Self.historyKeys(config).map {
                    FeatureSpec(name: $0, table: config.historyTable ? "history_movie" : "movie", kind: .sequence, userSide: true)
                })
        itemSideKeys = schema.itemSideKeys
        userSideKeys = schema.userSideKeys
    }

    /// Per rating (sorted by user, then time): its user's first rating, its
    /// session's first rating and its history's end; and which ratings are
    /// train and which eval.
    static func sessions(user: [Int32], time: [Int], heldOut held: [Bool], config: MovieLensConfig)
        -> (userStart: [Int], sessionStart: [Int], historyEnd: [Int], train: [Int], eval: [Int]) {
        var us = [Int](repeating: 0, count: user.count), ss = us, he = us
        var train: [Int] = [], eval: [Int] = []
        var i = 0
        while i < user.count {
            var j = i
            while j < user.count && user[j] == user[i] { j += 1 }
            // Ratings from firstEval on are eval; a history never reaches past
            // historyLimit. Time split: both the user's first eval rating, so an
            // eval history holds only training ratings. Users split: a held-out
            // user's history is their own earlier ratings (all eval: what the
            // model sees of a new user is what they did before), a training
            // user's all of theirs.
            let firstEval: Int, historyLimit: Int
            switch config.split {
            case .time: firstEval = max(i, j - config.evalPerUser); historyLimit = firstEval
            case .users: firstEval = held[Int(user[i])] ? i : j; historyLimit = j
            }
            for k in i..<j {
                us[k] = i
                ss[k] = (k > i && time[k] - time[k - 1] <= config.sessionGapSeconds) ? ss[k - 1] : k
                he[k] = min(ss[k], historyLimit)
                if k >= firstEval { eval.append(k) } else { train.append(k) }
            }
            i = j
        }
        return (us, ss, he, train, eval)
    }

    /// The user-side sequence features: `history`, or with `historyFeedback` the liked and disliked halves.
    static func historyKeys(_ config: MovieLensConfig) -> [String] {
        config.historyFeedback ? ["history_liked", "history_disliked"] : ["history"]
    }

    /// Whether dense user `u` is held out whole (split `users`).
    public func isHeldOut(user u: Int) -> Bool { heldOut[u] }

    /// The `user` feature's row for dense user `u`: `u` itself, or for a
    /// held-out user `unknownUserRow`. Not their own row: it would be a row no
    /// training sample updates, but still one random vector per user, noise the
    /// model never learned to ignore; one shared row is the same untrained
    /// vector for every new user, as a serving system's "unknown user" id. The
    /// held-out users' own rows are then never looked up.
    @inline(__always)
    public func userRow(_ u: Int) -> Int { heldOut[u] ? unknownUserRow! : u }

    /// The `user` row a training sample reads: with `userDropout`, a seeded
    /// share of history windows (keyed by the window, so the samples sharing one
    /// user-side row agree and dedup still holds) read the unknown row.
    @inline(__always)
    func trainingUserRow(_ u: Int, window: Int) -> Int {
        guard config.userDropout > 0 else { return userRow(u) }
        let h = StrataRNG.hash(seed: config.splitSeed ^ 0x05E2_D20F, stream: 0, index: UInt64(window))
        return Double(h >> 11) * 0x1.0p-53 < config.userDropout ? unknownUserRow! : userRow(u)
    }

    public func sampleCount(_ split: Split) -> Int { split == .train ? trainIndex.count : evalIndex.count }

    /// The rating behind sample `i` of `split`: (dense user, dense movie, timestamp).
    public func rating(_ i: Int, split: Split) -> (user: Int, movie: Int, timestamp: Int) {
        let r = (split == .train ? trainIndex : evalIndex)[i]
        return (Int(user[r]), Int(movie[r]), time[r])
    }

    public func userGroup(_ i: Int, split: Split) -> Int? {
        Int(user[(split == .train ? trainIndex : evalIndex)[i]])
    }

    /// Timestamps of the history items of sample `i` (for checks).
    public func historyTimestamps(_ i: Int, split: Split) -> [Int] {
        let r = (split == .train ? trainIndex : evalIndex)[i]
        return historyRange(r).map { time[$0] }
    }

    /// Movie ids of the history of sample `i` with their labels, oldest first (for checks).
    public func history(_ i: Int, split: Split) -> [(movie: Int, liked: Bool)] {
        let r = (split == .train ? trainIndex : evalIndex)[i]
        return historyRange(r).map { (Int(movie[$0]), label[$0] == 1) }
    }

    func historyRange(_ r: Int) -> Range<Int> {
        Self.window(r, userStart: userStart, historyEnd: historyEnd, length: config.historyLength)
    }

    /// The liked share of a history window, (liked + 1) / (length + 2): the
    /// 5th dense feature, and the level `HistoryAffinity` measures against.
    static func likedShare(_ window: Range<Int>, likedBefore: [Int]) -> Float {
        Float(likedBefore[window.upperBound] - likedBefore[window.lowerBound] + 1) / Float(window.count + 2)
    }

    /// Rating r's history: its user's ratings before `historyEnd[r]`, the last `length` of them.
    static func window(_ r: Int, userStart: [Int], historyEnd: [Int], length: Int) -> Range<Int> {
        max(userStart[r], historyEnd[r] - length)..<historyEnd[r]
    }

    /// Writes the batch into `b`, reusing its storage: once grown, refilling
    /// allocates nothing. Item side: `movie` then `genres`; user side: `user`
    /// then the history features, one row per run of samples that share a
    /// history window (or per sample without `dedup`).
    public func fill(_ b: inout Batch, globalStart: Int, count: Int, split: Split, dedup: Bool) {
        let index = split == .train ? trainIndex : evalIndex
        let lo = max(0, min(globalStart, index.count)), hi = max(lo, min(globalStart + count, index.count))
        let n = hi - lo, D = config.denseCount, parts = Self.historyKeys(config).count
        @inline(__always) func rating(_ j: Int) -> Int { index[lo + j] }
        @inline(__always) func startsRow(_ j: Int) -> Bool {
            !dedup || j == 0 || historyEnd[rating(j - 1)] != historyEnd[rating(j)]
        }
        var u = 0
        for j in 0..<n where startsRow(j) { u += 1 }
        Batch.refill(&b, size: n, sampleIndex: lo, itemKeys: itemSideKeys, userKeys: userSideKeys) { labels, dense, item, user in
            dense.append(contentsOf: repeatElement(0, count: n * D))
            for j in 0..<n {
                let r = rating(j), m = Int(movie[r]), h = historyRange(r)
                labels.append(label[r])
                let f0 = Float(log1p(Double(sessionStart[r] - userStart[r]))), f1 = movieYear[m]
                let f2 = Float(log1p(Double(h.count))), f3 = Float(movieGenres[m].count) / 3
                for d in 0..<min(D, 4) { dense[j * D + d] = d == 0 ? f0 : d == 1 ? f1 : d == 2 ? f2 : f3 }
                if D > 4 {
                    dense[j * D + 4] = Self.likedShare(h, likedBefore: likedBefore)
                }
                if D > 5 { dense[j * D + 5] = affinity[r] }
            }
            try! item.refill(stride: n) { lengths, values in
                lengths.append(contentsOf: repeatElement(1, count: n))
                for j in 0..<n { lengths.append(Int32(movieGenres[Int(movie[rating(j)])].count)) }
                for j in 0..<n { values.append(Int64(movie[rating(j)])) }
                for j in 0..<n { values.append(contentsOf: movieGenres[Int(movie[rating(j)])]) }
            }
            try! user.refill(uniqueCount: u) { lengths, values, inverse in
                // Lengths and values are both key-major: the user ids, then
                // each history feature's rows, so one pass writes both.
                lengths.append(contentsOf: repeatElement(1, count: u))
                for j in 0..<n where startsRow(j) {
                    let r = rating(j), u = Int(self.user[r])
                    values.append(Int64(split == .train ? trainingUserRow(u, window: historyEnd[r]) : userRow(u)))
                }
                for p in 0..<parts {
                    for j in 0..<n where startsRow(j) {
                        let before = values.count
                        for i in historyRange(rating(j)) where inPart(i, p) { values.append(Int64(movie[i])) }
                        lengths.append(Int32(values.count - before))
                    }
                }
                var row: Int32 = -1
                for j in 0..<n {
                    if startsRow(j) { row += 1 }
                    inverse.append(row)
                }
            }
        }
    }

    /// `index` reordered by runs that share a `historyEnd` (one user-side row),
    /// the runs in a fixed hashed order, each run kept in time order.
    static func shuffledByRow(_ index: [Int], historyEnd: [Int]) -> [Int] {
        guard !index.isEmpty else { return index }
        var runs: [ArraySlice<Int>] = []
        var a = 0
        for b in 1...index.count where b == index.count || historyEnd[index[b]] != historyEnd[index[a]] {
            runs.append(index[a..<b]); a = b
        }
        return runs.sorted { hash(0x4D4C, UInt64($0.first!)) < hash(0x4D4C, UInt64($1.first!)) }.flatMap { $0 }
    }

    /// Whether history rating `i` belongs to sequence feature `part`
    /// (`historyKeys` order): all of them, or the liked then the disliked.
    @inline(__always)
    func inPart(_ i: Int, _ part: Int) -> Bool { !config.historyFeedback || (label[i] == 1) == (part == 0) }
}
