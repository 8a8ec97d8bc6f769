/// `data.movielens.split`: which ratings of MovieLens are eval.
///
/// ```
/// // users a (5 ratings), b (3), c (4); eval_per_user 2, heldout_users 1/3 drawing b:
/// //   time:   train a1-a3 b1 c1-c2      eval a4 a5 b2 b3 c3 c4   (every eval user trained on)
/// //   users:  train a1-a5 c1-c4         eval b1 b2 b3            (b never trained on)
/// ```
public enum MovieLensSplit: String, Sendable, Codable, CaseIterable {
    /// Each user's last `evalPerUser` ratings (in time order) are eval; every
    /// eval user also has training ratings, so their `user` row is trained.
    case time
    /// A seeded share of users (`heldoutUsers`, drawn with `splitSeed`) is held
    /// out whole: all their ratings are eval, none train. Training users keep
    /// all their ratings in train (`evalPerUser` is not used). Measures what a
    /// model does for users it has never seen, where only their history can help.
    case users
}

extension MovieLensSplit {
    /// Which of `userIds` (original MovieLens ids) are held out: the
    /// `round(share * n)` ones (at least 1, at most n - 1) first in the order of
    /// `hash(seed, id)`. A user's draw depends on its own id and the seed, not on
    /// where it sits in the file, so the same seed holds out the same users.
    public static func heldOut(userIds: [Int], share: Double, seed: UInt64) throws -> [Bool] {
        guard share > 0, share < 1 else {
            throw DataError.invalidConfig("data.movielens.heldout_users must be in (0, 1) (the share of users held out), got \(share)")
        }
        let n = userIds.count
        guard n >= 2 else {
            throw DataError.invalidConfig("data.movielens.split users needs at least 2 users (one to train on, one to hold out), the data has \(n)")
        }
        let k = min(max(Int((share * Double(n)).rounded()), 1), n - 1)
        let draw = userIds.map { Data.hash(seed, UInt64(bitPattern: Int64($0))) }
        let order = userIds.indices.sorted { (draw[$0], userIds[$0]) < (draw[$1], userIds[$1]) }
        var held = [Bool](repeating: false, count: n)
        for i in order.prefix(k) { held[i] = true }
        return held
    }
}
