/// The pool's positives as a users x items matrix: users and items numbered
/// by id in increasing order, and each user's positive items in pool order,
/// repeats kept (a row logged twice counts twice for ∞-AE; Distill-CF, whose
/// users are sets, drops them with `distinctLists`).
struct PoolPositives {
    let users: [Int64]
    let items: [Int64]
    let userIds: [Int64]
    let itemIds: [Int64]
    let userIndex: [Int64: Int]
    let itemIndex: [Int64: Int32]
    let lists: [[Int32]]

    init(_ pool: PoolRows) {
        users = pool.users()
        items = pool.candidateItems()
        userIds = Array(Set(users)).sorted()
        itemIds = Array(Set(items)).sorted()
        userIndex = Dictionary(uniqueKeysWithValues: userIds.enumerated().map { ($1, $0) })
        itemIndex = Dictionary(uniqueKeysWithValues: itemIds.enumerated().map { ($1, Int32($0)) })
        var lists = [[Int32]](repeating: [], count: userIds.count)
        for r in 0..<pool.count where pool.labels[r] > 0.5 { lists[userIndex[users[r]]!].append(itemIndex[items[r]]!) }
        self.lists = lists
    }

    /// Each user's positives without repeats, first occurrence kept.
    var distinctLists: [[Int32]] {
        lists.map { list in
            var seen = Set<Int32>()
            return list.filter { seen.insert($0).inserted }
        }
    }
}
