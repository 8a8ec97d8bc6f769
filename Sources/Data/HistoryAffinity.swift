import Foundation

/// Item-based collaborative filtering over a sample's history, as one dense
/// feature: do the movies most like the candidate sit above or below this
/// user's usual rate in their own earlier feedback?
///
///     affinity(u, i) = Σ_j s(i, j) · (y_j − μ) / (Σ_j |s(i, j)| + λ)
///
/// over the history window's movies j, with y_j the user's label for j and μ
/// the window's liked share (liked + 1) / (length + 2). s is the adjusted
/// cosine of movies i and j over the training ratings, each user's labels
/// centred by that user's training mean (Sarwar et al., WWW 2001), shrunk by
/// the co-raters n_ij as n_ij / (n_ij + 20) so a pair seen together twice
/// does not count as much as one seen together a hundred times.
///
/// The similarities never hold the sample's own user: every user's own
/// contribution is taken back out of the sums before their samples are
/// scored (exact leave-one-user-out), so a training sample's label never
/// reaches its own feature through a similarity, and a training user's
/// feature is computed as a new user's is. Held-out users (split `users`)
/// are in no sum to begin with.
///
/// Only movies with at least `minRatings` training ratings get similarities
/// (at most `maxMovies` of them, the most rated), so the two dense N x N
/// tables stay bounded: at most 3,650 movies and 107 MB on ml-latest-small, built
/// once at load and dropped after. A candidate outside them scores 0.
///
/// ```
/// // the user liked j1 (s = 0.5) and disliked j2 (s = −0.2), μ = 0.5, λ = 0.1:
/// // (0.5 · 0.5 + (−0.2) · (−0.5)) / (0.7 + 0.1) = 0.4375
/// ```
enum HistoryAffinity {
    static let minRatings = 5
    static let maxMovies = 4096
    /// Co-rater shrinkage (the 20 of n / (n + 20)) and the denominator's λ,
    /// chosen with a NumPy oracle on a held-out-user split of ml-latest-small
    /// (movie rate + liked share + affinity): λ 0.1 against 1 and 3, and
    /// shrinkage 20 against none, all within 0.002 AUC of each other.
    static let shrinkage: Float = 20
    static let lambda: Float = 0.1

    /// The feature of every rating. Ratings are sorted by user then time;
    /// `inSums[r]`: rating r is a training rating, so it enters the
    /// similarities; `history(r)`: the rating indices of r's window;
    /// `share(window)`: its liked share, μ.
    static func compute(user: [Int32], movie: [Int32], label: [Float], inSums: [Bool], movieCount: Int,
                        history: (Int) -> Range<Int>, share: (Range<Int>) -> Float) -> [Float] {
        let n = user.count
        // Each user's training mean, and each training rating's centred label.
        var centred = [Float](repeating: 0, count: n)
        var a = 0
        while a < n {
            var b = a, sum: Float = 0, count: Float = 0
            while b < n && user[b] == user[a] { if inSums[b] { sum += label[b]; count += 1 }; b += 1 }
            for r in a..<b where inSums[r] { centred[r] = label[r] - sum / count }
            a = b
        }
        // The kept movies, most rated first.
        var ratings = [Int](repeating: 0, count: movieCount)
        for r in 0..<n where inSums[r] { ratings[Int(movie[r])] += 1 }
        let kept = (0..<movieCount).filter { ratings[$0] >= minRatings }
            .sorted { (ratings[$0], $1) > (ratings[$1], $0) }.prefix(maxMovies)
        var column = [Int32](repeating: -1, count: movieCount)
        for (c, m) in kept.enumerated() { column[m] = Int32(c) }
        let N = kept.count
        guard N > 0 else { return [Float](repeating: 0, count: n) }

        // Sums over users of the centred products, the co-raters and the squared norms.
        var dot = [Float](repeating: 0, count: N * N), co = dot, norm2 = [Float](repeating: 0, count: N)
        var rated: [(c: Int, x: Float)] = []
        a = 0
        while a < n {
            var b = a
            while b < n && user[b] == user[a] { b += 1 }
            rated.removeAll(keepingCapacity: true)
            for r in a..<b where inSums[r] && column[Int(movie[r])] >= 0 { rated.append((Int(column[Int(movie[r])]), centred[r])) }
            for p in rated {
                norm2[p.c] += p.x * p.x
                for q in rated where q.c != p.c {
                    dot[p.c * N + q.c] += p.x * q.x
                    co[p.c * N + q.c] += 1
                }
            }
            a = b
        }

        var out = [Float](repeating: 0, count: n)
        for r in 0..<n {
            let ci = Int(column[Int(movie[r])])
            guard ci >= 0 else { continue }
            let window = history(r)
            guard !window.isEmpty else { continue }
            let mu = share(window)
            // The user's own part of the candidate's sums, when they rated it in training.
            let selfIn = inSums[r]
            let ni = norm2[ci] - (selfIn ? centred[r] * centred[r] : 0)
            var num: Float = 0, den: Float = 0
            for k in window {
                let cj = Int(column[Int(movie[k])])
                guard cj >= 0, cj != ci else { continue }
                var d = dot[ci * N + cj], c = co[ci * N + cj], nj = norm2[cj]
                if inSums[k] {
                    nj -= centred[k] * centred[k]
                    if selfIn { d -= centred[r] * centred[k]; c -= 1 }
                }
                guard c > 0 else { continue }
                let s = d / ((max(ni, 0) * max(nj, 0)).squareRoot() + 1e-6) * c / (c + shrinkage)
                num += s * (label[k] - mu)
                den += abs(s)
            }
            out[r] = num / (den + lambda)
        }
        return out
    }
}
