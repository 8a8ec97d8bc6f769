/// NSGA-II's two rankings over points that minimise two objectives
/// (runtime, error): non-dominated fronts, then crowding distance inside a
/// front. Invalid variants sit at (inf, inf), so they fill the last front.
///
///     points  (1,5) (2,3) (4,1) (3,4) (5,5)
///     fronts  [0, 1, 2]  [3]  [4]      (3,4) is dominated by (2,3); (5,5) by (3,4)
public enum NSGA2 {
    /// a dominates b: no worse in both, better in one.
    public static func dominates(_ a: (Double, Double), _ b: (Double, Double)) -> Bool {
        a.0 <= b.0 && a.1 <= b.1 && (a.0 < b.0 || a.1 < b.1)
    }

    /// Indices by front, best front first (Deb's fast non-dominated sort); each front in index order.
    public static func fronts(_ points: [(Double, Double)]) -> [[Int]] {
        let n = points.count
        var dominatedBy = Array(repeating: [Int](), count: n)  // i dominates these
        var count = Array(repeating: 0, count: n)              // how many dominate i
        for i in 0..<n {
            for j in 0..<n where i != j {
                if dominates(points[i], points[j]) { dominatedBy[i].append(j) } else if dominates(points[j], points[i]) { count[i] += 1 }
            }
        }
        var out: [[Int]] = []
        var current = (0..<n).filter { count[$0] == 0 }
        while !current.isEmpty {
            out.append(current)
            var next: [Int] = []
            for i in current {
                for j in dominatedBy[i] {
                    count[j] -= 1
                    if count[j] == 0 { next.append(j) }
                }
            }
            current = next.sorted()
        }
        return out
    }

    /// Crowding distance of each member of `front` (same order): the sum over
    /// objectives of the normalised gap between its neighbours; the extremes
    /// of each objective get infinity. An objective whose range is zero or not
    /// finite adds nothing.
    public static func crowding(_ points: [(Double, Double)], front: [Int]) -> [Double] {
        var d = Array(repeating: 0.0, count: front.count)
        guard front.count > 2 else { return Array(repeating: .infinity, count: front.count) }
        for objective in 0..<2 {
            let value = { (k: Int) -> Double in objective == 0 ? points[front[k]].0 : points[front[k]].1 }
            let order = (0..<front.count).sorted { (value($0), front[$0]) < (value($1), front[$1]) }
            let lo = value(order.first!), hi = value(order.last!)
            d[order.first!] = .infinity
            d[order.last!] = .infinity
            let range = hi - lo
            guard range.isFinite, range > 0 else { continue }
            for k in 1..<(order.count - 1) {
                d[order[k]] += (value(order[k + 1]) - value(order[k - 1])) / range
            }
        }
        return d
    }

    /// Rank (front number) and crowding distance of every point.
    public static func rankAndCrowding(_ points: [(Double, Double)]) -> (rank: [Int], crowding: [Double]) {
        var rank = Array(repeating: 0, count: points.count)
        var crowd = Array(repeating: 0.0, count: points.count)
        for (r, front) in fronts(points).enumerated() {
            for (k, c) in zip(front, crowding(points, front: front)) {
                rank[k] = r
                crowd[k] = c
            }
        }
        return (rank, crowd)
    }

    /// The `count` survivors: whole fronts in order, the last one cut by
    /// crowding distance (largest first; ties by index).
    public static func select(_ points: [(Double, Double)], count: Int) -> [Int] {
        var out: [Int] = []
        for front in fronts(points) {
            if out.count + front.count <= count {
                out += front
                continue
            }
            let c = crowding(points, front: front)
            let order = (0..<front.count).sorted { (c[$0], -front[$0]) > (c[$1], -front[$1]) }
            out += order.prefix(count - out.count).map { front[$0] }
            break
        }
        return out
    }
}
