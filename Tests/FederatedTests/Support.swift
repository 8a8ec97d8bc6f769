import Collectives
import Federated

/// A small synthetic population that trains in milliseconds.
func tinySource(population: Int = 40, samples: Int = 32, spread: Double = 0, partition: Partition = .natural) -> SyntheticClients {
    var c = SyntheticClientsConfig()
    c.population = population
    c.samplesPerClient = samples
    c.sampleSpread = spread
    c.items = 200
    c.userRows = 50
    c.partition = partition
    c.seed = 7
    return SyntheticClients(config: c)
}

func tinyConfig(rounds: Int = 3, k: Int = 4) -> FederationConfig {
    var f = FederationConfig()
    f.seed = 11
    f.rounds = rounds
    f.clientsPerRound = k
    f.model.dim = 4
    f.model.bottomHidden = [8]
    f.model.topHidden = [8]
    f.maxBatch = 16
    f.evalEvery = rounds
    f.evalClients = 20
    return f
}

/// A FEL run that trains in milliseconds: 2 rounds of k = 3 leaves, 2
/// over-arch rounds, a centralized bound of one epoch over 30 clients.
func tinyFEL() -> (config: FederationConfig, fel: FELConfig) {
    var cfg = tinyConfig(rounds: 2, k: 8)
    cfg.client.learningRate = 0.1
    var fel = FELConfig()
    fel.k = 3
    fel.overRounds = 2
    fel.centralClients = 30
    fel.centralEpochs = 1
    return (cfg, fel)
}

/// Every client holds client 0's data: FedAvg of identical clients.
struct ReplicatedSource: ClientSource {
    let base: SyntheticClients
    let population: Int
    var denseFeatures: Int { base.denseFeatures }
    var tableRows: [Int] { base.tableRows }
    func data(client: Int) throws -> ClientData { try base.data(client: 0) }
    func trainCount(client: Int) -> Int { base.trainCount(client: 0) }
    func publicFeatures(client: Int) -> [Double] { base.publicFeatures(client: 0) }
    func trueGroup(client: Int) -> Int? { nil }
    var describe: String { "replicated" }
}

/// Runs a plain FL run on `ranks` in-process ranks; returns the final model.
func runFL(ranks: Int, config: FederationConfig, source: ClientSource) throws -> [Float] {
    let out = try LocalCommunicator.run(worldSize: ranks) { comm in
        try FederatedRun.run(comm: comm, config: config, source: source, directory: nil)?.model
    }
    return out[0]!
}

/// Runs rounds of a federation on one rank and returns the records and model.
func runFederation(config: FederationConfig, source: ClientSource, rounds: Int) -> ([RoundRecord], [Float]) {
    let comm = LocalCommunicator()
    let spec = config.model.spec(for: source)
    let model = ClientModel(spec: spec, maxBatch: config.maxBatch, seed: config.seed)
    let task = DLRMTask(source: source, model: model, seed: config.seed, failingClients: Set(config.failingClients))
    let engine = RoundEngine(comm: comm, tasks: [task])
    let fed = Federation(name: "fl", config: config, source: source, engine: engine, taskIndex: 0,
                         initial: model.flat(), flopsPerSample: model.flopsPerSample)
    let recs = (1...rounds).map { fed.round($0, clients: config.clientsPerRound, stream: 0) }
    return (recs, Array(fed.global.buffer))
}

/// Clients whose dense features are NaN (a corrupt device): their updates are non-finite.
struct CorruptSource: ClientSource {
    let base: SyntheticClients
    var population: Int { base.population }
    var denseFeatures: Int { base.denseFeatures }
    var tableRows: [Int] { base.tableRows }
    func data(client: Int) throws -> ClientData {
        var d = try base.data(client: client)
        d.train.dense = d.train.dense.map { _ in Float.nan }
        return d
    }
    func trainCount(client: Int) -> Int { base.trainCount(client: client) }
    func publicFeatures(client: Int) -> [Double] { base.publicFeatures(client: client) }
    func trueGroup(client: Int) -> Int? { nil }
    var describe: String { "corrupt" }
}
