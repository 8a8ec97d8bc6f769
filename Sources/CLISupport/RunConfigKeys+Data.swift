import Data
import Training

/// The `data` section's keys: where samples come from, and the knobs of the
/// built-in synthetic data and the MovieLens reader.
extension RunConfigKeys {
    static let data: [(String, Key)] = [
        ("data.source", .dataSet(\.data.source, DataSources.dataSets, "where the samples come from")),
        ("data.path", .string(\.data.path, "the Criteo file, MovieLens folder, Criteo shard folder or binary file (train split)")),
        ("data.eval_path", .string(\.data.evalPath, "source binary: the eval split's file")),
        ("data.dedup", .bool(\.data.dedup, "user-side features as unique rows (RecD); false: one row per sample")),
        ("data.criteo_rows_per_table", .int(\.data.criteoRowsPerTable, .ints(1...Int.max), "Criteo: rows of each hashed table")),
        ("data.criteo_eval_every", .int(\.data.criteoEvalEvery, .ints(0...Int.max), "Criteo: every k-th line is eval (0: none)")),
        ("data.criteo_held_out", .choices(\.data.criteoHeldOut, "Criteo shards: which half of the last day is the eval split")),
        ("data.skip_bad_lines", .bool(\.data.skipBadLines, "skip malformed lines (counted) instead of refusing the file")),
    ]

    static let synthetic: [(String, Key)] = [
        ("data.synthetic.seed", .seed(\.data.synthetic.seed, "the data's seed (planted model and samples)")),
        ("data.synthetic.samples", .int(\.data.synthetic.samples, .ints(1...Int.max), "train samples")),
        ("data.synthetic.eval_samples", .int(\.data.synthetic.evalSamples, .ints(1...Int.max), "eval samples (other sessions)")),
        ("data.synthetic.dense_count", .int(\.data.synthetic.denseCount, .ints(0...Int.max), "dense features per sample")),
        ("data.synthetic.item_rows", .int(\.data.synthetic.itemRows, .ints(1...Int.max), "rows of the item table")),
        ("data.synthetic.user_rows", .int(\.data.synthetic.userRows, .ints(1...Int.max), "rows of the user table")),
        ("data.synthetic.extra_tables", .ints(\.data.synthetic.extraTables, .ints(1...Int.max), "rows of each extra item-side table c0, c1, ... ([] for none)",
                                              orEmpty: true) { $0.enumerated().map { TableSpec(name: "c\($0.offset)", rows: $0.element) } }),
        ("data.synthetic.extra_ids_per_bag", .span(\.data.synthetic.extraIdsPerBag, .ints(1...Int.max),
                                                   "ids per bag of each extra table, uniform in [min, max] (or one number)")),
        ("data.synthetic.item_popularity", .string(\.data.synthetic.itemPopularity,
                                                   "TRACE:TABLE: item ranks follow that trace table's popularity (strata data profile) instead of Zipf")),
        ("data.synthetic.history_max_length", .int(\.data.synthetic.historyMaxLength, .ints(0...Int.max), "history lengths are uniform in 0...N")),
        ("data.synthetic.session_length", .int(\.data.synthetic.sessionLength, .ints(1...Int.max), "samples per session (they share the user side)")),
        ("data.synthetic.zipf_exponent", .real(\.data.synthetic.zipfExponent, .reals(0...100), "Zipf exponent of every table (0: uniform)")),
        ("data.synthetic.clusters", .int(\.data.synthetic.clusters, .ints(1...Int.max), "item clusters; each user prefers one")),
        ("data.synthetic.history_affinity", .real(\.data.synthetic.historyAffinity, .fraction, "chance a history item is from the user's cluster")),
        ("data.synthetic.candidate_affinity", .real(\.data.synthetic.candidateAffinity, .fraction, "chance a candidate is from the user's cluster")),
        ("data.synthetic.match_strength", .real(\.data.synthetic.matchStrength, .reals(-1e6...1e6), "logit weight of the history/candidate match")),
        ("data.synthetic.id_weight_scale", .real(\.data.synthetic.idWeightScale, .reals(0...1e6), "logit scale of the pooled ids' weights")),
        ("data.synthetic.dense_weight_scale", .real(\.data.synthetic.denseWeightScale, .reals(0...1e6), "logit scale of the dense features' weights")),
        ("data.synthetic.bias", .real(\.data.synthetic.bias, .reals(-1e6...1e6), "the planted logit's bias")),
        ("data.synthetic.shuffle_window", .int(\.data.synthetic.shuffleWindow, .ints(1...Int.max), "sessions shuffled within windows of N sessions (1: off)")),
    ]

    static let movielens: [(String, Key)] = [
        ("data.movielens.history_length", .int(\.data.movielens.historyLength, .ints(1...Int.max), "at most this many history items (the most recent)")),
        ("data.movielens.eval_per_user", .int(\.data.movielens.evalPerUser, .ints(0...Int.max), "split time: each user's last N ratings are eval")),
        ("data.movielens.split", .choices(\.data.movielens.split, "eval: each user's last ratings (time) or a held-out share of users (users)")),
        ("data.movielens.heldout_users", .real(\.data.movielens.heldoutUsers, .above(0, below: 1), "split users: the share of users held out")),
        ("data.movielens.split_seed", .seed(\.data.movielens.splitSeed, "split users: the seed of the held-out draw")),
        ("data.movielens.session_gap_seconds", .int(\.data.movielens.sessionGapSeconds, .ints(0...Int.max),
                                                    "ratings less than this far apart form one session (0: only equal timestamps)")),
        ("data.movielens.dense_count", .int(\.data.movielens.denseCount, .ints(0...Int.max), "dense features per sample (4 real, 5th liked share, 6th affinity)")),
        ("data.movielens.history_feedback", .bool(\.data.movielens.historyFeedback, "the history as two sequences, liked and disliked")),
        ("data.movielens.shuffle_train", .bool(\.data.movielens.shuffleTrain, "train in a fixed pseudo-random order of user-side rows")),
        ("data.movielens.history_table", .bool(\.data.movielens.historyTable, "history sequences read their own table history_movie")),
        ("data.movielens.user_dropout", .real(\.data.movielens.userDropout, .atLeast(0, below: 1),
                                              "the share of training rows read as an unknown user")),
    ]
}
