import Collectives
import Federated

/// A small synthetic population with clusters (users of a cluster like the same items).
func source(population: Int = 300, samples: Int = 32, clusters: Int = 4, items: Int = 200) -> SyntheticClients {
    var c = SyntheticClientsConfig()
    c.population = population
    c.samplesPerClient = samples
    c.clusters = clusters
    c.items = items
    c.userRows = 50
    c.seed = 7
    return SyntheticClients(config: c)
}

func smallConfig(rounds: Int = 3, k: Int = 6) -> FederationConfig {
    var f = FederationConfig()
    f.seed = 11
    f.rounds = rounds
    f.clientsPerRound = k
    f.model.dim = 4
    f.model.bottomHidden = [8]
    f.model.topHidden = [8]
    f.maxBatch = 32
    f.evalEvery = rounds
    f.evalClients = 120
    f.client = ClientRoundConfig(epochs: 1, batch: 0, learningRate: 1.0)
    f.strategy = .fedAdagrad(eta: 0.1, beta1: 0, tau: 1e-9)
    return f
}
