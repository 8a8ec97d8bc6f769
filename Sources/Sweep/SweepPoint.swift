import Training

/// One training run of a sweep: its coordinates on the axes, its seed, and the
/// full config a worker group trains.
public struct SweepPoint: Sendable, Codable, Equatable {
    /// Position in the expanded sweep (the order of runs.csv).
    public var index: Int
    /// Folder-safe and unique: `data=4000_seed=1`.
    public var id: String
    /// Axis name -> value text, for the axes this point lies on.
    public var coordinates: [String: String]
    public var seed: UInt64
    public var config: RunConfig
    /// Relative to the sweep folder.
    public var runDirectory: String
    /// Why the axis values could not be applied (the point is then recorded failed, never trained).
    public var setupError: String?

    /// A rough training cost for ordering (largest first): samples seen times
    /// the dense widths plus the embedding dim.
    public var cost: Double {
        let widths = config.model.bottom.reduce(0, +) + config.model.top.reduce(0, +) + config.model.embeddingDim
        return Double(config.run.steps) * Double(config.run.batchSize) * Double(widths)
    }
}

extension SweepSpec {
    /// Every point: the layout's combinations of axis values, times the seeds.
    ///
    /// Rules applied after the axis values, in order:
    /// - `model.embedding_dim` on an axis: the bottom MLP's last width follows it
    ///   (the config requires them equal).
    /// - `epochs` set: `run.steps = ceil(epochs * training samples / batch size)`.
    /// - `run.seed` = the seed.
    public func points(apply: ConfigApplier) -> [SweepPoint] {
        var combos: [[(axis: SweepAxis, value: String)]] = []
        switch layout {
        case .lines:
            for a in axes { for v in a.values { combos.append([(a, v)]) } }
        case .grid:
            combos = [[]]
            for a in axes { combos = combos.flatMap { c in a.values.map { c + [(a, $0)] } } }
        }
        var out: [SweepPoint] = []
        for combo in combos {
            for seed in seeds {
                var config = base
                var setupError: String?
                do {
                    for (a, v) in combo {
                        try apply(&config, a.key, v)
                        if a.key == "model.embedding_dim", !config.model.bottom.isEmpty {
                            config.model.bottom[config.model.bottom.count - 1] = config.model.embeddingDim
                        }
                    }
                } catch {
                    setupError = "\(error)"
                }
                if let e = epochs {
                    let samples = Self.trainingSamples(config)
                    config.run.steps = max(1, Int((e * Double(samples) / Double(max(config.run.batchSize, 1))).rounded(.up)))
                }
                config.run.seed = seed
                let coords = Dictionary(combo.map { ($0.axis.name, $0.value) }, uniquingKeysWith: { a, _ in a })
                let id = (combo.map { "\($0.axis.name)=\(Self.safe($0.value))" } + ["seed=\(seed)"]).joined(separator: "_")
                out.append(SweepPoint(index: out.count, id: id, coordinates: coords, seed: seed, config: config,
                                      runDirectory: "runs/\(id)", setupError: setupError))
            }
        }
        return out
    }

    /// Training samples a config names (synthetic data; other sources: 0, and
    /// `epochs` then gives one step).
    static func trainingSamples(_ c: RunConfig) -> Int {
        c.data.source == .synthetic ? c.data.synthetic.samples : 0
    }

    static func safe(_ text: String) -> String {
        String(text.compactMap { ch -> Character? in
            if ch.isLetter || ch.isNumber || ch == "." || ch == "-" { return ch }
            if ch == "," { return "-" }
            return nil
        })
    }
}
