/// Latency-bounded QPS of larger server types, modelled from this machine's
/// measurements (every figure it gives is marked modelled).
///
/// A request's time on one core splits into embedding lookups (memory
/// bound: `embeddingShare`, measured by timing the engine's two phases) and
/// the dense forward (compute bound). A type with `cores` cores, per-core
/// compute speed `coreSpeed` and per-core memory bandwidth `bandwidthPerCore`
/// (both relative to this machine's) runs each core's share of the searched
/// configuration at
///
///     speedup = 1 / ((1 - embeddingShare) / coreSpeed + embeddingShare / bandwidthPerCore)
///
/// and instances scale out with cores (Hercules' searched configurations are
/// mostly many small instances), so
///
///     QPS(type) = QPS(this machine, searched) * (cores / this machine's cores) * speedup
///
/// What it leaves out: cache sizes, NUMA, the latency bound's own shift with
/// a faster core (a faster core meets the bound at a higher load: the model is
/// conservative there), and sub-linear scale-out past memory bandwidth
/// saturation (bandwidth is per core here, so it is assumed to scale).
public struct ServerModel: Sendable, Codable, Equatable {
    public var name: String
    public var cores: Int
    public var coreSpeed: Double
    public var bandwidthPerCore: Double
    /// Provisioned (peak) power of a whole server, watts.
    public var watts: Double
    public var note: String

    public init(name: String, cores: Int, coreSpeed: Double, bandwidthPerCore: Double, watts: Double, note: String) {
        self.name = name; self.cores = cores; self.coreSpeed = coreSpeed; self.bandwidthPerCore = bandwidthPerCore
        self.watts = watts; self.note = note
    }

    public func qps(measuredQPS: Double, measuredCores: Int, embeddingShare f: Double) -> Double {
        let speedup = 1 / ((1 - f) / coreSpeed + f / bandwidthPerCore)
        return measuredQPS * Double(cores) / Double(measuredCores) * speedup
    }

    /// Server types of the documented fleet. Per-core figures are relative to
    /// this machine's cores (taken as 1.0 compute, ~10 GB/s per core DRAM
    /// bandwidth); the others from public specifications (channels x DDR speed
    /// over cores) and their TDPs plus ~60-100 W of platform. Assumed, not measured.
    public static let fleet: [ServerModel] = [
        ServerModel(name: "bdw-14c", cores: 14, coreSpeed: 0.75, bandwidthPerCore: 0.55, watts: 180,
                    note: "Broadwell E5-2680 v4-like: 14 cores, 4 x DDR4-2400 (77 GB/s), 120 W TDP"),
        ServerModel(name: "skl-20c", cores: 20, coreSpeed: 0.9, bandwidthPerCore: 0.64, watts: 220,
                    note: "Skylake Gold 6148-like: 20 cores, 6 x DDR4-2666 (128 GB/s), 150 W TDP"),
        ServerModel(name: "clx-28c", cores: 28, coreSpeed: 1.0, bandwidthPerCore: 0.5, watts: 290,
                    note: "Cascade Lake Platinum 8280-like: 28 cores, 6 x DDR4-2933 (141 GB/s), 205 W TDP"),
        ServerModel(name: "spr-hbm-56c", cores: 56, coreSpeed: 1.1, bandwidthPerCore: 1.8, watts: 460,
                    note: "Sapphire Rapids Max-like: 56 cores, HBM2e (~1 TB/s), 350 W TDP"),
    ]
}
