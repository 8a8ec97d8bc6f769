import Collectives
import Foundation

/// Every trained value in one file, to compare runs (tests): the dense
/// parameters, then each table gathered whole, as
/// `"STRATA-PARAMS-1", count, then per array: length, Float32 values`.
public enum ParameterDump {
    static let magic = "STRATA-PARAMS-1"

    /// Gathers the tables (collective); rank 0 writes `path`.
    public static func write(_ trainer: Trainer, to path: String) throws {
        let tables = trainer.layout.tables.indices.map { trainer.embeddings.gatherTable($0) }
        guard trainer.comm.rank == 0 else { return }
        var w = BinaryWriter()
        w.magic(magic)
        w.int(1 + tables.count)
        w.int(trainer.model.parameterCount)
        w.floats(UnsafeBufferPointer(trainer.model.params.buffer))
        for t in tables {
            w.int(t.count)
            t.withUnsafeBufferPointer { w.floats($0) }
        }
        try DurableFile.write(w.bytes, to: path)
    }

    /// The arrays of a dump: dense parameters first, then each table.
    public static func read(_ path: String) throws -> [[Float]] {
        var r = BinaryReader(try DurableFile.read(path), file: path)
        try r.magic(magic)
        let n = try r.int()
        return try (0..<max(n, 0)).map { _ in try r.floats(try r.int()) }
    }
}
