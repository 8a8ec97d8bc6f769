import Training

/// A scaling-law sweep as plain values: a base training config, the axes to
/// vary, how points are laid out, and how each point is trained and fitted.
/// The CLI fills it from a sweep file (`Configs/sweep-*.yaml`); nothing here
/// parses text except through the `ConfigApplier` the CLI hands in.
public struct SweepSpec: Sendable, Codable, Equatable {
    /// `lines`: each axis is varied alone through the base point (one line per
    /// axis); `grid`: every combination of every axis.
    public enum Layout: String, Sendable, Codable, CaseIterable { case lines, grid }

    /// The quality a fit is made on.
    public enum Metric: String, Sendable, Codable, CaseIterable {
        case evalLogloss = "eval_logloss"
        case evalNe = "eval_ne"
    }

    public var name: String
    public var base: RunConfig
    public var axes: [SweepAxis]
    public var layout = Layout.lines
    /// Each point is trained once per seed (`run.seed`); the plots' error bars are over seeds.
    public var seeds: [UInt64] = [1]
    /// Ranks per worker group (the world is rank 0 plus whole groups).
    public var groupSize = 1
    /// When set, every point's `run.steps` is `ceil(epochs * samples / batch_size)`
    /// (samples: the point's training samples, `data.synthetic.samples` for
    /// synthetic data), so each point sees its training data `epochs` times.
    /// nil: `run.steps` as configured.
    public var epochs: Double? = 1
    public var metric = Metric.evalLogloss
    /// Held-out check: fit without the `holdLargest` largest x, predict them
    /// (lowered where fewer than 3 distinct x would remain; 0: off).
    public var holdLargest = 1
    public var bootstrapResamples = 200
    /// A point whose result has not come back this many seconds after it was
    /// handed out ends the sweep (exit 3) naming its group's ranks: a stopped
    /// or hung worker group (nil or 0: wait without end).
    public var pointTimeoutSeconds: Double?

    public init(name: String, base: RunConfig, axes: [SweepAxis]) {
        self.name = name
        self.base = base
        self.axes = axes
    }
}

/// One axis: a config key and the values it takes.
public struct SweepAxis: Sendable, Codable, Equatable {
    /// What a fit puts on the x axis for this axis's points.
    public enum Measure: String, Sendable, Codable, CaseIterable {
        /// The axis value itself (it must be a number).
        case value
        /// Training samples seen (steps x batch size).
        case samplesSeen = "samples_seen"
        /// Dense plus embedding parameters.
        case parameters
        case denseParameters = "dense_parameters"
        case embeddingParameters = "embedding_parameters"
        /// Training FLOPs (forward + backward, dense part).
        case flops
    }

    /// A short label: column name in runs.csv, key in fits.json, plot file name.
    public var name: String
    /// A dotted config key (`data.synthetic.samples`, `model.embedding_dim`, ...).
    public var key: String
    /// Each value as YAML text (`4000`, `[64, 16]`), applied through the config setters.
    public var values: [String]
    public var x: Measure

    public init(name: String, key: String, values: [String], x: Measure = .value) {
        self.name = name
        self.key = key
        self.values = values
        self.x = x
    }
}

/// Sets a dotted config key from YAML text (the CLI's config setters).
public typealias ConfigApplier = (inout RunConfig, _ key: String, _ value: String) throws -> Void

/// A sweep file that cannot run; the message names the field.
public struct SweepSpecError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ message: String) { description = message }
}

extension SweepSpec {
    public func validate() throws {
        guard !axes.isEmpty else { throw SweepSpecError("a sweep needs at least one axis") }
        let names = axes.map(\.name)
        guard Set(names).count == names.count else { throw SweepSpecError("axis names must differ, got \(names)") }
        for a in axes {
            guard !a.values.isEmpty else { throw SweepSpecError("axis '\(a.name)' has no values") }
            guard a.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), !a.name.isEmpty else {
                throw SweepSpecError("axis name '\(a.name)' must be letters, digits, '_' or '-'")
            }
            if a.x == .value {
                for v in a.values where Double(v) == nil {
                    throw SweepSpecError("axis '\(a.name)' (x: value) needs numeric values, got '\(v)'; "
                                         + "choose x: parameters, samples_seen or flops")
                }
            }
        }
        guard !seeds.isEmpty else { throw SweepSpecError("seeds must not be empty") }
        guard Set(seeds).count == seeds.count else { throw SweepSpecError("seeds must differ, got \(seeds)") }
        guard groupSize > 0 else { throw SweepSpecError("group_size must be positive, got \(groupSize)") }
        if let e = epochs, !(e > 0) { throw SweepSpecError("epochs must be positive, got \(e)") }
        guard holdLargest >= 0 else { throw SweepSpecError("hold_largest must not be negative") }
        guard bootstrapResamples >= 0 else { throw SweepSpecError("bootstrap must not be negative") }
    }
}
