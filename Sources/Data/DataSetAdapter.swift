/// One command's view of the catalogue (`DataSetKind`): the kinds it reads.
/// The command's own switch over `DataSetKind` turns a kind into what it
/// consumes (the trainer's `BatchSource`, FL's clients, DataPerf's pool); the
/// adapter is where a name is decoded, so that a kind it cannot read is
/// refused before anything is loaded, in one sentence.
public struct DataSetAdapter: Sendable, Equatable {
    /// The command as a user types it ("strata fl").
    public let command: String
    /// The kinds it reads, in the order its help lists them.
    public let accepts: [DataSetKind]

    public init(command: String, accepts: [DataSetKind]) {
        precondition(!accepts.isEmpty && Set(accepts).count == accepts.count, "\(command): accepts must list distinct kinds")
        self.command = command
        self.accepts = accepts
    }

    /// The accepted kinds' names, as configs spell them.
    public var names: [String] { accepts.map(\.rawValue) }

    /// `name`'s kind when this command reads it. nil: not a data set at all
    /// (the caller's generic "must be one of" refusal, with its suggestion).
    /// A data set this command does not read throws `DataSetRefused`.
    public func kind(named name: String, key: String) throws(DataSetRefused) -> DataSetKind? {
        guard let kind = DataSetKind(rawValue: name) else { return nil }
        guard accepts.contains(kind) else { throw DataSetRefused(key: key, kind: kind, adapter: self) }
        return kind
    }

    /// `name` decoded for a command-line option: the kind, `DataSetRefused`
    /// for a kind this command does not read, `DataSetUnknown` for any other name.
    public func decode(_ name: String, key: String) throws -> DataSetKind {
        guard let kind = try kind(named: name, key: key) else { throw DataSetUnknown(key: key, name: name, adapter: self) }
        return kind
    }

    /// Nothing when this command reads `kind`, else the refusal.
    public func check(_ kind: DataSetKind, key: String) throws(DataSetRefused) {
        guard accepts.contains(kind) else { throw DataSetRefused(key: key, kind: kind, adapter: self) }
    }
}

/// A data set the catalogue knows but a command does not read.
public struct DataSetRefused: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let kind: DataSetKind
    public let adapter: DataSetAdapter

    public init(key: String, kind: DataSetKind, adapter: DataSetAdapter) {
        self.key = key; self.kind = kind; self.adapter = adapter
    }

    /// "data.source 'criteo' is not one strata fl reads (it reads: synthetic, movielens)".
    public var description: String {
        "\(key) '\(kind.rawValue)' is not one \(adapter.command) reads (it reads: \(adapter.names.joined(separator: ", ")))"
    }
}

/// A name that is no data set of the catalogue.
public struct DataSetUnknown: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let name: String
    public let adapter: DataSetAdapter

    /// "--dataset must be one of movielens, synthetic, got 'foo'" (the config decoder's wording).
    public var description: String {
        "\(key) must be one of \(adapter.names.joined(separator: ", ")), got '\(name)'"
    }
}
