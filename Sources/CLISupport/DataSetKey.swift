import Collectives
import Data

extension ConfigLoader.Value {
    /// A data set `adapter`'s command reads. A kind of the catalogue it does
    /// not read is refused in one sentence naming the key and the kinds it
    /// reads; any other name gets the usual "must be one of" with the nearest.
    package func dataSet(_ key: String, _ adapter: DataSetAdapter) throws -> DataSetKind {
        let s = try string(key)
        do {
            if let kind = try adapter.kind(named: s, key: key) { return kind }
        } catch {
            throw InputError("\(origin): \(error.description)")
        }
        return try oneOf(key, adapter.accepts.map { ($0.rawValue, $0) })
    }
}

extension DeclaredKey {
    /// `data.source` and its kin: one of the kinds of the catalogue that
    /// `adapter` reads; the help ends with them ("...: synthetic | movielens").
    package static func dataSet(_ p: WritableKeyPath<Config, DataSetKind>, _ adapter: DataSetAdapter, _ help: String = "") -> Self {
        let list = adapter.names.joined(separator: " | ")
        return Self(nil, help: help.isEmpty ? list : help + ": " + list) { c, v, k in c[keyPath: p] = try v.dataSet(k, adapter) }
    }
}
