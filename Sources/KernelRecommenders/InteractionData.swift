import Collectives
import Foundation
import Tensors

/// Which ratings count as an interaction (implicit feedback).
public enum ImplicitFeedback: Sendable, Equatable {
    /// Every rated item is an interaction: the paper's preprocessing (its
    /// `preprocess.py` keeps every MovieLens rating and sets it to 1).
    case allRatings
    /// Only ratings at or above the threshold (for example 4 of 5 stars).
    case minRating(Double)
}

/// Where the interactions come from and how they are split.
public struct InteractionSource: Sendable, Equatable {
    public var path: String
    public var feedback: ImplicitFeedback
    /// Seeds the per-user split (when the file has no split column).
    public var seed: UInt64
    /// Users with fewer interactions are dropped before a random split (the
    /// paper drops users with fewer than 3, so each keeps a test item).
    public var minUserInteractions: Int

    public init(path: String, feedback: ImplicitFeedback = .allRatings, seed: UInt64 = 42, minUserInteractions: Int = 3) {
        self.path = path
        self.feedback = feedback
        self.seed = seed
        self.minUserInteractions = minUserInteractions
    }
}

/// Users x items train / validation / test matrices (binary), with the file's
/// own ids for each row and column.
public struct InteractionData: Sendable {
    public var userIDs: [String]
    public var itemIDs: [String]
    public var train: SparseRows
    public var validation: SparseRows
    public var test: SparseRows

    public var users: Int { userIDs.count }
    public var items: Int { itemIDs.count }

    public init(userIDs: [String], itemIDs: [String], train: SparseRows, validation: SparseRows, test: SparseRows) {
        self.userIDs = userIDs
        self.itemIDs = itemIDs
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Reads an interactions CSV and splits it.
    public static func load(_ source: InteractionSource) throws -> InteractionData {
        let table = try InteractionCSV.read(path: source.path, feedback: source.feedback)
        return try split(table, source: source)
    }

    /// Rows into matrices: by the file's split column when it has one, else a
    /// seeded per-user random 80/10/10 split as the paper's `preprocess.py`:
    /// each user's interactions shuffled, the first shuffled one forced into
    /// test, positions below floor(0.8 n) train, below floor(0.9 n) validation,
    /// the rest test.
    ///
    /// A repeated (user, item) pair is kept once per split: with a split column
    /// each split keeps its rows as given, so a pair in train and in test stays
    /// a training interaction and a test target (as the paper's released code
    /// evaluates its own splits: the target is ranked below every unseen item,
    /// a miss, but still counts among the user's targets and as an AUC
    /// positive); without one, a pair is one interaction before the split.
    static func split(_ table: InteractionCSV.Table, source: InteractionSource) throws -> InteractionData {
        var perUser: [[(item: Int32, part: InteractionCSV.Part?)]] = Array(repeating: [], count: table.userIDs.count)
        for r in table.rows { perUser[Int(r.user)].append((r.item, r.part)) }
        var keptUsers: [Int] = []
        for u in perUser.indices {
            let n = perUser[u].count
            if table.hasSplit ? n > 0 : n >= source.minUserInteractions { keptUsers.append(u) }
        }
        // Items that survive, numbered in order of first appearance among kept users.
        var itemIndex = [Int32](repeating: -1, count: table.itemIDs.count)
        var itemIDs: [String] = []
        var parts: [[[Int32]]] = Array(repeating: [[], [], []], count: keptUsers.count)
        for (row, u) in keptUsers.enumerated() {
            // Dedup within a split only (the split column's; before the random split, the whole user).
            var seen = Set<Int64>()
            let list = perUser[u].filter { seen.insert(Int64($0.item) << 2 | Int64($0.part?.rawValue ?? 3)).inserted }
            var order = Array(list.indices)
            if !table.hasSplit {
                var rng = StrataRNG(seed: StrataRNG.hash(seed: source.seed, stream: 0x5eed_59_17, index: UInt64(u)))
                order.shuffle(using: &rng)
            }
            let n = list.count, trainEnd = Int(0.8 * Double(n)), validEnd = Int(0.9 * Double(n))
            for (pos, at) in order.enumerated() {
                let entry = list[at]
                if itemIndex[Int(entry.item)] < 0 {
                    itemIndex[Int(entry.item)] = Int32(itemIDs.count)
                    itemIDs.append(table.itemIDs[Int(entry.item)])
                }
                let part: InteractionCSV.Part
                if let given = entry.part { part = given } else if pos == 0 { part = .test } else if pos < trainEnd { part = .train } else if pos < validEnd { part = .validation } else { part = .test }
                parts[row][part.rawValue].append(itemIndex[Int(entry.item)])
            }
        }
        guard !keptUsers.isEmpty else {
            throw InputError("\(source.path): no user has \(table.hasSplit ? "an interaction" : "\(source.minUserInteractions) or more interactions")")
        }
        let items = itemIDs.count
        let data = InteractionData(
            userIDs: keptUsers.map { table.userIDs[$0] }, itemIDs: itemIDs,
            train: SparseRows(columns: items, rows: parts.map { $0[0] }),
            validation: SparseRows(columns: items, rows: parts.map { $0[1] }),
            test: SparseRows(columns: items, rows: parts.map { $0[2] }))
        guard data.test.nonZeros > 0 else { throw InputError("\(source.path): the split has no test items") }
        guard data.train.nonZeros > 0 else { throw InputError("\(source.path): the split has no train items") }
        return data
    }

    /// Users with a row, items with a row and rows, per split; and the pairs
    /// found in two splits (each kept in both, see `split`).
    public struct Counts: Sendable, Codable, Equatable {
        public struct Part: Sendable, Codable, Equatable {
            public var users: Int
            public var items: Int
            public var rows: Int
            public init(users: Int, items: Int, rows: Int) { (self.users, self.items, self.rows) = (users, items, rows) }
        }
        public var train: Part
        public var validation: Part
        public var test: Part
        public var trainAndValidation: Int
        public var trainAndTest: Int
        public var validationAndTest: Int

        /// "train 6,040 users / 3,706 items / 800,167 rows, ..." for a run's first lines.
        public var description: String {
            let part = { (name: String, p: Part) in "\(name) \(p.users) users / \(p.items) items / \(p.rows) rows" }
            return [part("train", train), part("validation", validation), part("test", test)].joined(separator: ", ")
                + "; pairs in two splits: train+validation \(trainAndValidation), train+test \(trainAndTest), validation+test \(validationAndTest)"
        }
    }

    public var counts: Counts {
        func part(_ r: SparseRows) -> Counts.Part {
            Counts.Part(users: (0..<r.rows).filter { r.count($0) > 0 }.count, items: Set(r.indices).count, rows: r.nonZeros)
        }
        func shared(_ a: SparseRows, _ b: SparseRows) -> Int {
            (0..<a.rows).reduce(0) { $0 + Set(a.row($1)).intersection(b.row($1)).count }
        }
        return Counts(train: part(train), validation: part(validation), test: part(test),
                      trainAndValidation: shared(train, validation), trainAndTest: shared(train, test),
                      validationAndTest: shared(validation, test))
    }
}
