/// Every data set Strata reads: the one list (docs/DESIGN.md, "Data sets: one
/// catalogue"). Each command that reads data is an adapter over this enum
/// (`DataSetAdapter`) that names the kinds it reads; a config or option
/// naming any other kind is refused when it is decoded. The raw values are the
/// spellings configs, options and saved files (config.json, task.json) use.
/// Adding a data set: its reader file here in `Data`, a case here, and a case
/// in each adapter that should read it.
public enum DataSetKind: String, Sendable, Codable, CaseIterable {
    case synthetic
    case criteo
    case movielens
    case binary
    case criteoShards = "criteo_shards"

    /// What the data set is.
    public var summary: String {
        switch self {
        case .synthetic: return "samples generated from a seeded planted model (no file)"
        case .criteo: return "Criteo click logs, one TSV/CSV file (label, 13 dense, 26 hashed categorical)"
        case .movielens: return "a MovieLens folder (ml-latest-small-ratings.csv and -movies.csv): time-ordered histories, rating >= 4 a click"
        case .binary: return "Strata's binary sample files, written by `strata data synth|convert`"
        case .criteoShards: return "a folder of Criteo shards written by `strata data convert FILES...`: every day but the last trains, the last is held out"
        }
    }

    /// The path it takes (nil: none), as train's key names it.
    public var path: String? {
        switch self {
        case .synthetic: return nil
        case .criteo: return "data.path: the Criteo file"
        case .movielens: return "data.path: the MovieLens folder"
        case .binary: return "data.path: the train split's file (data.eval_path: the eval split's)"
        case .criteoShards: return "data.path: the shard folder"
        }
    }

    /// The `Data` type that reads it (adapters may wrap it: FL builds its
    /// clients over `MovieLensRatings`, and its synthetic clients are generated).
    public var reader: String {
        switch self {
        case .synthetic: return "SyntheticDataset"
        case .criteo: return "CriteoReader, CriteoDataset"
        case .movielens: return "MovieLensRatings, MovieLensMovies, MovieLensDataset"
        case .binary: return "BinaryDataset"
        case .criteoShards: return "CriteoShardSet"
        }
    }

    /// Where one of its files is also an interactions CSV (user, item, value[,
    /// time]) that `strata iae` and `strata distill` read through
    /// `InteractionFile`; nil: none is.
    public var interactionsCSV: String? {
        switch self {
        case .movielens: return "ml-latest-small-ratings.csv (userId,movieId,rating,timestamp)"
        case .synthetic, .criteo, .binary, .criteoShards: return nil
        }
    }
}
