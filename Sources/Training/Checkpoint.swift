import Collectives
import Data
import Foundation
import Model
import ShardedEmbeddings
import Sharding

/// Everything a run needs to continue exactly, besides the parameters.
///
/// The data position is the step: batch k is a pure function of k and the
/// data seed (`Trainer.localBatch`), on any world size. Nothing draws random
/// numbers while training (initialisation is a function of the seed and the
/// global row), so the seeds are the whole RNG state.
public struct CheckpointState: Codable, Equatable, Sendable {
    public var version = 1
    /// Steps done; the next step trains on global batch `step`.
    public var step: Int
    public var worldSize: Int
    public var config: RunConfig
    public var plan: ShardingPlan
    public var tableNames: [String]
    public var nextGlobalBatch: Int
    public var epoch: Int
    public var seed: UInt64
    public var dataSeed: UInt64
    public var denseParameters: Int
    /// The dense GEMMs' kernels (nil in checkpoints written before them): a
    /// resumed run adopts them, so it continues on the same kernels.
    public var gemm: [GemmChoice]?
}

/// The list of a checkpoint's files with their sizes and checksums, written
/// last: a checkpoint folder without it is incomplete and never read.
struct CheckpointManifest: Codable {
    struct Entry: Codable { var name: String; var bytes: Int; var fnv1a64: String }
    var version = 1
    var step: Int
    var files: [Entry]
}

/// A complete, verified checkpoint on disk.
public struct LoadedCheckpoint {
    public let directory: String
    public let state: CheckpointState
    let manifest: CheckpointManifest
    /// Newer complete checkpoints that failed verification (folder, why),
    /// newest first: set when `latest(in:fallback: true)` fell back past them.
    public internal(set) var damaged: [(folder: String, reason: String)] = []
}

/// Sharded checkpoints in `RUN/checkpoints/step-NNNNNNNN/`:
///
///     emb-rank-RRRRR.bin  each rank's embedding blocks with optimizer state
///                         (replicated tables from rank 0 only)
///     dense.bin           rank 0: dense parameters and their optimizer state
///     state.json          rank 0: step, data position, seeds, config, plan
///     manifest.json       rank 0, last: every file's size and FNV-1a 64
///
/// Each file is written to a temporary name, fsynced and renamed. Only
/// folders with a manifest count; older ones beyond `keep` are removed after
/// the new manifest is on disk, so a crash at any point leaves the previous
/// checkpoint whole. Reading needs every rank to see every file (a shared
/// filesystem when ranks run on several hosts).
public enum Checkpoint {
    static let denseMagic = "STRATA-DENSE-1"

    public static func folder(runDirectory: String, step: Int) -> String {
        (runDirectory as NSString).appendingPathComponent(String(format: "checkpoints/step-%08d", step))
    }

    static func jsonEncoder() -> JSONEncoder { StrataJSON.encoder(snakeCase: false) }

    /// Writes the trainer's state after `trainer.step` steps (collective).
    @discardableResult
    public static func write(_ trainer: Trainer, runDirectory: String, keep: Int) throws -> String {
        let comm = trainer.comm, me = comm.rank
        let dir = folder(runDirectory: runDirectory, step: trainer.step)
        // Already complete (a resumed run that had nothing left to do): never rewrite a good checkpoint.
        if isComplete(dir) { return dir }
        if me == 0 {
            // A folder for this step without a manifest is a crashed attempt: start it over.
            do {
                if FileManager.default.fileExists(atPath: dir) { try FileManager.default.removeItem(atPath: dir) }
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw TrainingFailure(FileSystemError.sentence(error, path: dir, what: "the checkpoint folder"))
            }
        }
        comm.barrier()

        var w = BinaryWriter()
        w.magic(EmbeddingFile.magicV2)
        // The buffers are valid only inside the closure (a FlexShard tier's
        // blocks are gathered into temporaries), so count first, then write each
        // block while its buffers are alive.
        var count = 0
        trainer.embeddings.forEachLocalBlock { b, _, _ in if !b.isReplica || me == 0 { count += 1 } }
        w.int(count)
        trainer.embeddings.forEachLocalBlock { b, weights, state in
            guard !b.isReplica || me == 0 else { return }
            EmbeddingFile.write(&w, block: b, weights: weights, state: state)
        }
        let name = String(format: "emb-rank-%05d.bin", me)
        try DurableFile.write(w.bytes, to: (dir as NSString).appendingPathComponent(name))
        let sum = w.bytes.withUnsafeBytes { fnv1a64($0) }
        let all = comm.allgatherArrays(.control, [Int64(w.bytes.count), Int64(bitPattern: sum)])
        guard me == 0 else { comm.barrier(); return dir }

        var entries = all.enumerated().map { r, v in
            CheckpointManifest.Entry(name: String(format: "emb-rank-%05d.bin", r), bytes: Int(v[0]),
                                     fnv1a64: String(format: "%016llx", UInt64(bitPattern: v[1])))
        }
        var d = BinaryWriter()
        d.magic(denseMagic)
        d.int(trainer.model.parameterCount)
        d.floats(UnsafeBufferPointer(trainer.model.params.buffer))
        d.floats(UnsafeBufferPointer(rebasing: trainer.denseState[0..<trainer.model.parameterCount]))
        let state = CheckpointState(step: trainer.step, worldSize: comm.size, config: trainer.config, plan: trainer.plan,
                                    tableNames: trainer.layout.tables.map(\.name), nextGlobalBatch: trainer.step,
                                    epoch: trainer.step / trainer.batchesPerEpoch, seed: trainer.config.run.seed,
                                    dataSeed: trainer.config.data.synthetic.seed, denseParameters: trainer.model.parameterCount,
                                    gemm: trainer.gemmChoices.isEmpty ? nil : trainer.gemmChoices)
        let stateBytes = [UInt8](try jsonEncoder().encode(state))
        for (file, bytes) in [("dense.bin", d.bytes), ("state.json", stateBytes)] {
            try DurableFile.write(bytes, to: (dir as NSString).appendingPathComponent(file))
            entries.append(.init(name: file, bytes: bytes.count, fnv1a64: DurableFile.checksum(bytes)))
        }
        let manifest = CheckpointManifest(step: trainer.step, files: entries)
        try DurableFile.write([UInt8](try jsonEncoder().encode(manifest)), to: (dir as NSString).appendingPathComponent("manifest.json"))
        prune(runDirectory: runDirectory, keep: keep)
        comm.barrier()
        return dir
    }

    /// Step folders, oldest first.
    static func stepFolders(_ runDirectory: String) -> [String] {
        let root = (runDirectory as NSString).appendingPathComponent("checkpoints")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { $0.hasPrefix("step-") && !$0.hasSuffix(".tmp") }.sorted()
            .map { (root as NSString).appendingPathComponent($0) }
    }

    static func isComplete(_ dir: String) -> Bool {
        FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("manifest.json"))
    }

    /// Keeps the newest `keep` complete checkpoints; drops older ones and
    /// incomplete folders older than the newest complete one.
    static func prune(runDirectory: String, keep: Int) {
        let all = stepFolders(runDirectory)
        let complete = all.filter(isComplete)
        guard let newest = complete.last else { return }
        let kept = Set(complete.suffix(max(keep, 1)))
        for dir in all where !kept.contains(dir) && dir < newest {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// The newest complete checkpoint of a run folder, every file checked
    /// against the manifest. Errors name the file. When the newest is damaged
    /// the error names the damage and the intact ones; with `fallback` the
    /// newest intact one is returned instead, its `damaged` listing the rest.
    public static func latest(in runDirectory: String, fallback: Bool = false) throws -> LoadedCheckpoint {
        var dir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &dir) else {
            throw InputError("\(runDirectory): no such run folder")
        }
        guard dir.boolValue else { throw InputError("\(runDirectory): a file, not a run folder") }
        let complete = stepFolders(runDirectory).filter(isComplete)
        guard !complete.isEmpty else {
            throw InputError("\(runDirectory): no complete checkpoint (checkpoints/step-*/manifest.json)")
        }
        var damaged: [(folder: String, reason: String)] = []
        var intact: [LoadedCheckpoint] = []
        for folder in complete.reversed() {
            do { intact.append(try load(folder)) } catch let e as InputError { damaged.append((folder, e.description)) }
            if damaged.isEmpty { return intact[0] }   // the newest is whole: the common case reads only it
        }
        let damage = damaged.map(\.reason).joined(separator: "; ")
        let names = intact.map { "\(($0.directory as NSString).lastPathComponent) (step \($0.state.step))" }
        guard var newest = intact.first else {
            throw InputError("\(damage); no intact checkpoint is left in \(runDirectory)")
        }
        guard fallback else {
            throw InputError("\(damage); intact checkpoints: \(names.joined(separator: ", ")); "
                             + "--fallback-to-intact resumes from \(names[0]) and sets the damaged ones aside")
        }
        newest.damaged = damaged
        return newest
    }

    /// One complete checkpoint folder, every file verified.
    static func load(_ dir: String) throws -> LoadedCheckpoint {
        let manifestPath = (dir as NSString).appendingPathComponent("manifest.json")
        let manifest: CheckpointManifest
        do {
            manifest = try JSONDecoder().decode(CheckpointManifest.self, from: Data(try DurableFile.read(manifestPath)))
        } catch let e as InputError { throw e } catch {
            throw InputError("\(manifestPath): not a checkpoint manifest: \(error)")
        }
        var stateBytes: [UInt8] = []
        for entry in manifest.files {
            let bytes = try readVerified(entry, in: dir)
            if entry.name == "state.json" { stateBytes = bytes }
        }
        let statePath = (dir as NSString).appendingPathComponent("state.json")
        guard !stateBytes.isEmpty else { throw InputError("\(manifestPath): lists no state.json") }
        let state: CheckpointState
        do { state = try JSONDecoder().decode(CheckpointState.self, from: Data(stateBytes)) } catch {
            throw InputError("\(statePath): unreadable checkpoint state: \(error)")
        }
        guard state.step == manifest.step else {
            throw InputError("\(statePath): step \(state.step) but the manifest says \(manifest.step)")
        }
        return LoadedCheckpoint(directory: dir, state: state, manifest: manifest)
    }

    /// Moves damaged checkpoint folders to `checkpoints/damaged-step-N` (kept
    /// for inspection, never read again), so the resumed run writes those
    /// steps afresh. Rank 0 only, before training.
    public static func setAside(_ damaged: [(folder: String, reason: String)]) throws {
        for (folder, _) in damaged {
            let parent = (folder as NSString).deletingLastPathComponent
            var target = (parent as NSString).appendingPathComponent("damaged-" + (folder as NSString).lastPathComponent)
            var n = 1
            while FileManager.default.fileExists(atPath: target) { n += 1; target = target + "-\(n)" }
            do { try FileManager.default.moveItem(atPath: folder, toPath: target) } catch {
                throw InputError(FileSystemError.sentence(error, path: folder, what: "the damaged checkpoint"))
            }
        }
    }

    static func readVerified(_ entry: CheckpointManifest.Entry, in dir: String) throws -> [UInt8] {
        let path = (dir as NSString).appendingPathComponent(entry.name)
        guard FileManager.default.fileExists(atPath: path) else { throw InputError("\(path): missing (listed in the manifest)") }
        let bytes = try DurableFile.read(path)
        guard bytes.count == entry.bytes else {
            throw InputError("\(path): \(bytes.count) bytes, the manifest says \(entry.bytes) (truncated or overwritten)")
        }
        let sum = DurableFile.checksum(bytes)
        guard sum == entry.fnv1a64 else {
            throw InputError("\(path): checksum mismatch (manifest \(entry.fnv1a64), file \(sum)): the checkpoint is corrupted")
        }
        return bytes
    }
}

extension Trainer {
    /// Restores step, dense parameters and optimizer state, and every
    /// embedding row this rank now holds (by global row, whatever plan and
    /// world size wrote the checkpoint). Identical on every rank: errors are
    /// `InputError`s that every rank meets alike.
    public func restore(from checkpoint: LoadedCheckpoint) throws {
        let s = checkpoint.state, dir = checkpoint.directory
        guard s.tableNames == layout.tables.map(\.name) else {
            throw InputError("\(dir): the checkpoint has tables \(s.tableNames), this run has \(layout.tables.map(\.name))")
        }
        guard s.denseParameters == model.parameterCount else {
            throw InputError("\(dir): the checkpoint has \(s.denseParameters) dense parameters, this model \(model.parameterCount)")
        }
        guard s.config.optimizer == config.optimizer else {
            throw InputError("\(dir): the checkpoint was trained with other optimizer settings")
        }
        // Every rank reads the same state.json: the same kernels everywhere, as the interrupted run had.
        if let saved = s.gemm { model.gemm?.adopt(saved: saved) }
        for entry in checkpoint.manifest.files {
            let path = (dir as NSString).appendingPathComponent(entry.name)
            if entry.name == "dense.bin" {
                var r = BinaryReader(try Checkpoint.readVerified(entry, in: dir), file: path)
                try r.magic(Checkpoint.denseMagic)
                let n = try r.int()
                guard n == model.parameterCount else { throw InputError("\(path): \(n) parameters, expected \(model.parameterCount)") }
                let params = try r.floats(n), state = try r.floats(n)
                guard r.atEnd else { throw InputError("\(path): bytes after the end") }
                model.params.buffer.baseAddress!.update(from: params, count: n)
                denseState.baseAddress!.update(from: state, count: n)
            }
        }
        var written = 0
        for entry in checkpoint.manifest.files where entry.name.hasPrefix("emb-") {
            let path = (dir as NSString).appendingPathComponent(entry.name)
            var r = BinaryReader(try Checkpoint.readVerified(entry, in: dir), file: path)
            try EmbeddingFile.read(&r) { b, weights, state in
                guard b.table >= 0, b.table < layout.tables.count, b.firstRow >= 0, b.firstRow + b.rows <= layout.tables[b.table].rows,
                      b.columnStart >= 0, b.columnStart + b.width <= layout.tables[b.table].dim else {
                    throw InputError("\(path): a block outside the tables (table \(b.table), rows \(b.firstRow)+\(b.rows))")
                }
                written += weights.withUnsafeBufferPointer { w in
                    state.withUnsafeBufferPointer { st in embeddings.restore(block: b, weights: w, state: st) }
                }
            }
        }
        guard written == embeddings.localWeightCount else {
            throw InputError("\(dir): the checkpoint covers \(written) of the \(embeddings.localWeightCount) embedding values rank \(comm.rank) holds")
        }
        step = s.step
        embeddings.resumeRounding(afterUpdates: s.step)
    }
}
