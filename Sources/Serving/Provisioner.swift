/// Hercules' stage 2: servers for every model in every time slot of a day.
///
/// Inputs: per (model, server type) the latency-bounded QPS one server
/// sustains (stage 1) and per type its provisioned (peak) power and how many
/// the fleet holds; per model a demand per slot. A slot's allocation
/// `servers[model][type]` meets every model's demand and stays within each
/// type's count. The cluster must be provisioned for its busiest slot: the
/// figures are the peak over slots of servers in use and of their power.
public struct ServerType: Sendable, Codable, Equatable {
    public var name: String
    /// Provisioned (peak) power of one server, watts.
    public var watts: Double
    /// Servers of this type in the fleet.
    public var available: Int
    public init(name: String, watts: Double, available: Int) {
        self.name = name; self.watts = watts; self.available = available
    }
}

public struct ProvisioningProblem: Sendable, Codable {
    public var models: [String]
    public var types: [ServerType]
    /// qps[model][type]: one server's latency-bounded QPS (0: cannot serve it).
    public var qps: [[Double]]
    /// demand[slot][model], QPS.
    public var demand: [[Double]]
    public init(models: [String], types: [ServerType], qps: [[Double]], demand: [[Double]]) {
        self.models = models; self.types = types; self.qps = qps; self.demand = demand
    }
}

/// One slot's servers per (model, type).
public struct Allocation: Sendable, Codable, Equatable {
    public var servers: [[Int]]
    public func count(type t: Int) -> Int { servers.reduce(0) { $0 + $1[t] } }
    public var total: Int { servers.reduce(0) { $0 + $1.reduce(0, +) } }
    public func watts(_ types: [ServerType]) -> Double {
        types.indices.reduce(0) { $0 + Double(count(type: $1)) * types[$1].watts }
    }
    public func capacity(model m: Int, _ p: ProvisioningProblem) -> Double {
        p.types.indices.reduce(0) { $0 + Double(servers[m][$1]) * p.qps[m][$1] }
    }
}

public enum Scheduler: String, Sendable, Codable, CaseIterable {
    /// Baseline: models by decreasing demand, each filled first-fit on the
    /// type that serves it fastest, then the next fastest.
    case greedy
    /// Heterogeneity-aware (Hercules): minimise provisioned power. Start from
    /// efficiency-ordered placement (the model losing most QPS/W off its best
    /// type goes first, onto its most efficient types), then exchange: re-solve
    /// each model's cover exactly given the others' servers (a small integer
    /// program solved by enumeration) until no model's re-solve lowers the
    /// slot's power.
    case hercules
}

public struct ProvisioningFailure: Error, CustomStringConvertible {
    public var description: String
}

extension ProvisioningProblem {
    public func allocate(slot s: Int, scheduler: Scheduler) throws -> Allocation {
        switch scheduler {
        case .greedy: return try greedy(slot: s)
        case .hercules: return try aware(slot: s)
        }
    }

    func needed(_ m: Int, _ t: Int, _ demand: Double) -> Int {
        guard demand > 0 else { return 0 }
        guard qps[m][t] > 0 else { return Int.max }
        return Int((demand / qps[m][t] - 1e-9).rounded(.up))
    }

    /// First fit on the fastest type.
    func greedy(slot s: Int) throws -> Allocation {
        var a = Allocation(servers: models.map { _ in types.map { _ in 0 } })
        var left = types.map(\.available)
        for m in models.indices.sorted(by: { demand[s][$0] > demand[s][$1] }) {
            var need = demand[s][m]
            for t in types.indices.sorted(by: { qps[m][$0] > qps[m][$1] }) where need > 0 && qps[m][t] > 0 {
                let n = min(left[t], needed(m, t, need))
                a.servers[m][t] += n
                left[t] -= n
                need -= Double(n) * qps[m][t]
            }
            guard need <= 1e-9 else { throw ProvisioningFailure(description: "slot \(s): the fleet cannot serve \(models[m])'s \(demand[s][m]) QPS") }
        }
        return a
    }

    /// The cheapest servers (in watts) covering `demand` QPS of model m from
    /// `left` free servers per type: exact, by enumeration over every type
    /// but the last of the efficiency order (which takes the remainder).
    func cheapestCover(_ m: Int, demand: Double, left: [Int]) -> [Int]? {
        let usable = types.indices.filter { qps[m][$0] > 0 && left[$0] > 0 }
            .sorted { qps[m][$0] / types[$0].watts > qps[m][$1] / types[$1].watts }
        guard demand > 0 else { return types.map { _ in 0 } }
        guard !usable.isEmpty else { return nil }
        var best: (watts: Double, x: [Int])?
        var x = types.map { _ in 0 }
        func go(_ i: Int, _ need: Double, _ watts: Double) {
            if let b = best, watts >= b.watts { return }
            let t = usable[i]
            if i == usable.count - 1 {
                let n = need > 0 ? needed(m, t, need) : 0
                guard n <= left[t] else { return }
                let w = watts + Double(n) * types[t].watts
                if best == nil || w < best!.watts { x[t] = n; best = (w, x); x[t] = 0 }
                return
            }
            let most = min(left[t], needed(m, t, max(need, 0)))
            for n in stride(from: most, through: 0, by: -1) {
                x[t] = n
                go(i + 1, need - Double(n) * qps[m][t], watts + Double(n) * types[t].watts)
            }
            x[t] = 0
        }
        go(0, demand, 0)
        return best?.x
    }

    func aware(slot s: Int) throws -> Allocation {
        var a = Allocation(servers: models.map { _ in types.map { _ in 0 } })
        var left = types.map(\.available)
        // Placement: largest loss of QPS/W off the best type first.
        func loss(_ m: Int) -> Double {
            let eff = types.indices.map { qps[m][$0] / types[$0].watts }.sorted(by: >)
            return eff.count > 1 ? (eff[0] - eff[1]) / max(eff[0], 1e-12) : 0
        }
        for m in models.indices.sorted(by: { loss($0) > loss($1) }) {
            guard let x = cheapestCover(m, demand: demand[s][m], left: left) else {
                throw ProvisioningFailure(description: "slot \(s): the fleet cannot serve \(models[m])'s \(demand[s][m]) QPS")
            }
            a.servers[m] = x
            for t in types.indices { left[t] -= x[t] }
        }
        // Exchange: each model's cover re-solved given the others, while power falls.
        var improved = true, rounds = 0
        while improved && rounds < 50 {
            improved = false
            rounds += 1
            for m in models.indices {
                var free = left
                for t in types.indices { free[t] += a.servers[m][t] }
                guard let x = cheapestCover(m, demand: demand[s][m], left: free) else { continue }
                let before = types.indices.reduce(0.0) { $0 + Double(a.servers[m][$1]) * types[$1].watts }
                let after = types.indices.reduce(0.0) { $0 + Double(x[$1]) * types[$1].watts }
                if after < before - 1e-9 {
                    a.servers[m] = x
                    for t in types.indices { left[t] = free[t] - x[t] }
                    improved = true
                }
            }
            // Pairwise exchange: free a model's servers of one type for another model
            // whose cover there is cheaper (the move a one-model re-solve cannot see).
            for m1 in models.indices {
                for m2 in models.indices where m2 != m1 {
                    var trial = a
                    var free = left
                    for t in types.indices { free[t] += trial.servers[m1][t] + trial.servers[m2][t] }
                    trial.servers[m1] = types.map { _ in 0 }
                    guard let x2 = cheapestCover(m2, demand: demand[s][m2], left: free) else { continue }
                    var free2 = free
                    for t in types.indices { free2[t] -= x2[t] }
                    guard let x1 = cheapestCover(m1, demand: demand[s][m1], left: free2) else { continue }
                    trial.servers[m1] = x1
                    trial.servers[m2] = x2
                    if trial.watts(types) < a.watts(types) - 1e-9 {
                        a = trial
                        for t in types.indices { left[t] = free2[t] - x1[t] }
                        improved = true
                    }
                }
            }
        }
        return a
    }

    /// Every slot allocated; each checked to meet demand within the fleet.
    public func provision(_ scheduler: Scheduler) throws -> ProvisioningOutcome {
        var slots: [Allocation] = []
        for s in demand.indices {
            let a = try allocate(slot: s, scheduler: scheduler)
            for m in models.indices where a.capacity(model: m, self) + 1e-9 < demand[s][m] {
                throw ProvisioningFailure(description: "\(scheduler) slot \(s): \(models[m]) short of demand")
            }
            for t in types.indices where a.count(type: t) > types[t].available {
                throw ProvisioningFailure(description: "\(scheduler) slot \(s): more \(types[t].name) than the fleet holds")
            }
            slots.append(a)
        }
        return ProvisioningOutcome(scheduler: scheduler, slots: slots,
                                   peakServers: slots.map(\.total).max() ?? 0,
                                   peakWatts: slots.map { $0.watts(types) }.max() ?? 0,
                                   peakServersByType: types.indices.map { t in slots.map { $0.count(type: t) }.max() ?? 0 })
    }
}

public struct ProvisioningOutcome: Sendable, Codable {
    public var scheduler: Scheduler
    public var slots: [Allocation]
    /// The most servers in use in any slot (what must be provisioned).
    public var peakServers: Int
    /// The most provisioned power in use in any slot.
    public var peakWatts: Double
    public var peakServersByType: [Int]
}
