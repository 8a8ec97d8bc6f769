import ArgumentParser
import CLISupport
import Collectives
import CriteoPipeline
import Data
import Foundation
import Training

/// `strata data convert`: a config's Criteo or MovieLens source as binary files,
/// or Criteo day files (gzip or plain) as shards, in parallel over MPI ranks.
struct DataConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert Criteo day files (gzip or plain) to shards over MPI ranks, or a config's data to binary files.",
        discussion: """
        With INPUTS (Criteo day files in day order: gzip or plain TSV, the CSV \
        sample too; a folder stands for its files in natural order; `day_{0..23}.gz` \
        is expanded; `-` reads standard input on one rank): writes OUT/day-NNNNN.shard \
        per input (fixed-width records read through memory maps), OUT/manifest.json and \
        OUT/conversion.json. Run it under mpirun to share the inputs over ranks: with \
        at least as many inputs as ranks each rank converts whole inputs (the same \
        shards whatever the world size); with fewer, each rank keeps line i % R == r \
        of every input (one part per rank). Ids are the hex hash modulo \
        data.criteo_rows_per_table (or --rows-per-table), or, with \
        --frequency-threshold T, a vocabulary counted in a first pass and merged \
        across ranks: values seen at least T times get their own row, rarer ones \
        share row 0 (OUT/vocabulary.bin). Train with data.source: criteo_shards, \
        data.path: OUT (days but the last train; the last day's first half is \
        validation, its second half test: data.criteo_held_out).

        Without INPUTS: reads the config's data as training would \
        (data.criteo_rows_per_table, data.criteo_eval_every, data.skip_bad_lines, \
        data.movielens.*) and writes OUT/train.strata and OUT/eval.strata (one \
        process). Training on them gives the same batches as training on the source. \
        With INPUTS, --config is read for data.criteo_rows_per_table and data.skip_bad_lines.
        """
    )

    @Argument(help: "Criteo day files, folders or `-` (standard input), in day order.")
    var inputs: [String] = []

    @OptionGroup var configOptions: ConfigOptions
    var config: String? { configOptions.config }
    var overrides: [String] { configOptions.overrides }

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Without INPUTS, user-side storage: \(BinaryLayout.allCases.map(\.rawValue).joined(separator: " or ")).")
    var layout: BinaryLayout = .session

    @Option(name: .customLong("rows-per-table"), help: "With INPUTS and hashed ids: rows of each of C1...C26 (default: the config's data.criteo_rows_per_table, else 100000).")
    var rowsPerTable: Int?

    @Option(name: .customLong("frequency-threshold"), help: "With INPUTS: build a vocabulary; values seen fewer than T times share row 0 (T >= 1).")
    var frequencyThreshold: Int?

    @Flag(name: .customLong("skip-bad-lines"), help: "With INPUTS: count and skip malformed lines instead of stopping at the first.")
    var skipBadLines = false

    /// Every numeric option's allowed values, checked before anything is sized by them.
    static let ranges = OptionRanges<DataConvert>("data convert", [
        ("--rows-per-table", .ints(1...1 << 31), { $0.rowsPerTable.map(Double.init) }),
        ("--frequency-threshold", .ints(1...1 << 31), { $0.frequencyThreshold.map(Double.init) }),
    ])

    @OptionGroup var world: WorldOptions

    func validate() throws {
        if let r = rowsPerTable, !(1...Int(Int32.max)).contains(r) { throw ValidationError("--rows-per-table must be in 1...\(Int32.max), got \(r)") }
        if let t = frequencyThreshold, t < 1 { throw ValidationError("--frequency-threshold must be at least 1, got \(t)") }
        if inputs.isEmpty && config == nil { throw ValidationError("give Criteo INPUTS, or --config whose data section to convert") }
        if inputs.isEmpty && (rowsPerTable != nil || frequencyThreshold != nil || skipBadLines) {
            throw ValidationError("--rows-per-table, --frequency-threshold and --skip-bad-lines go with INPUTS (without them, set data.* keys)")
        }
        if rowsPerTable != nil && frequencyThreshold != nil { throw ValidationError("--rows-per-table (hashed ids) and --frequency-threshold (a vocabulary) exclude each other") }
    }

    func run() throws {
        try Self.ranges.check(self)
        try requireOutputFolder(out, what: "the output folder")
        if inputs.isEmpty { return try convertConfig() }
        let cfg = try config.map { try loadConfig($0, overrides) }
        let expanded: [String]
        do { expanded = try CriteoInputs.expand(inputs) } catch { throw inputFailure(error) }
        let ids: CriteoIDs = frequencyThreshold.map { .vocabulary(threshold: $0) }
            ?? .hash(tableRows: Array(repeating: rowsPerTable ?? cfg?.data.criteoRowsPerTable ?? 100_000, count: 26))
        let job = CriteoConversion(inputs: expanded, output: out, ids: ids, skipBadLines: skipBadLines || (cfg?.data.skipBadLines ?? false))
        withWorld(ranksPerNode: world.ranksPerNode) { comm in
            let report: CriteoConversionReport
            do { report = try job.run(comm: comm) { print($0); fflush(stdout) } } catch let e as InputError { throw e } catch {
                throw InputError("\(error)")
            }
            guard comm.rank == 0 else { return }
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .prettyPrinted]
            e.keyEncodingStrategy = .convertToSnakeCase
            do { try e.encode(report).write(to: URL(fileURLWithPath: out + "/conversion.json")) } catch {
                throw InputError("\(out)/conversion.json: cannot write: \(error.localizedDescription)")
            }
            let seconds = report.countSeconds + report.writeSeconds
            print(String(format: "%@: %d shards, %d samples from %d lines (%d bad) of %d inputs on %d rank(s) in %.1f s: %.0f lines/s per rank, %.1f MB/s of input",
                         out, report.shards.count, report.samples, report.lines, report.badLines, report.inputs, report.ranks,
                         seconds, report.linesPerSecondPerRank, Double(report.inputBytes) / max(seconds, 1e-9) / 1e6))
            print("train on it with: --set data.source=criteo_shards --set data.path=\(out)")
        }
    }

    /// convert's adapter over the catalogue, for `--config` (its message, kept
    /// as tests match it, says where the other kinds are written).
    static let dataSets = DataSetAdapter(command: "strata data convert", accepts: [.criteo, .movielens])

    private func convertConfig() throws {
        guard let file = config else { return }
        let cfg = try loadConfig(file, overrides)
        guard Self.dataSets.accepts.contains(cfg.data.source) else {
            throw inputFailure("\(file): data.source is '\(cfg.data.source.rawValue)'; convert reads criteo or movielens (use `strata data synth` for synthetic, or give Criteo files as INPUTS)")
        }
        let loaded: LoadedData
        do { loaded = try DataSources.load(cfg.data, seed: cfg.run.seed) } catch { throw inputFailure(error) }
        if loaded.badLines > 0 { print("skipped \(loaded.badLines) malformed line(s)") }
        if loaded.source.sampleCount(.eval) == 0 {
            print("no evaluation split: eval.strata will hold no samples (\(TrainingRun.whyNoEval(cfg, badLines: loaded.badLines)))")
        }
        try writeSplits(of: loaded.source, to: out, layout: layout)
    }
}

/// `strata data criteo-gen`: Criteo-format day files with the real logs' shape.
struct DataCriteoGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "criteo-gen",
        abstract: "Write Criteo-format day files (gzip) shaped like the real logs, for measuring `strata data convert`.",
        discussion: """
        Writes OUT/day_0.gz ... OUT/day_{D-1}.gz, LINES lines each: the Kaggle set's \
        26 column cardinalities and missing rates, Zipf-distributed values, heavy-tailed \
        counts, clicks that depend on a few columns. Seeded: the same options give the \
        same lines. Under mpirun, rank r writes days r, r+R, ...
        """
    )

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Day files to write.")
    var days = 2

    @Option(help: "Lines per day file.")
    var lines = 100_000

    @Option(help: "Seed of every draw.")
    var seed: UInt64 = 1

    /// Every numeric option's allowed values, checked before anything is sized by them.
    static let ranges = OptionRanges<DataCriteoGen>("data criteo-gen", [
        ("--days", .ints(1...10_000), { Double($0.days) }), ("--lines", .ints(1...1 << 32), { Double($0.lines) }),
        ("--seed", .seed, { Double($0.seed) }),
    ])

    @Flag(help: "Write plain text (day_N.tsv) instead of gzip.")
    var plain = false

    @OptionGroup var world: WorldOptions

    func validate() throws {
        guard days >= 1 else { throw ValidationError("--days must be at least 1, got \(days)") }
        guard lines >= 1 else { throw ValidationError("--lines must be at least 1, got \(lines)") }
    }

    func run() throws {
        try Self.ranges.check(self)
        try requireOutputFolder(out, what: "the output folder")
        let g = CriteoGenerator(seed: seed)
        withWorld(ranksPerNode: world.ranksPerNode) { comm in
            if comm.rank == 0 {
                do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
                    throw InputError("\(out): cannot create the folder: \(error.localizedDescription)")
                }
            }
            comm.barrier(.control)
            for d in stride(from: comm.rank, to: days, by: comm.size) {
                let path = "\(out)/day_\(d).\(plain ? "tsv" : "gz")"
                let t0 = Date()
                let raw: Int
                do { raw = try g.write(day: d, lines: lines, to: path) } catch { throw InputError("\(error)") }
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                print(String(format: "%@: %d lines, %.1f MB (%.1f MB before compression) in %.1f s",
                             path, lines, Double(size) / 1e6, Double(raw) / 1e6, Date().timeIntervalSince(t0)))
            }
        }
    }
}
