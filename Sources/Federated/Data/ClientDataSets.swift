import Data

/// FL's adapter over the catalogue (`DataSetKind`): the kinds `strata fl`'s
/// `data.source` takes. Synthetic: `SyntheticClients` (generated, one client
/// per synthetic user); MovieLens: `MovieLensClients` (one client per user,
/// over `MovieLensRatings`).
public enum ClientDataSets {
    public static let adapter = DataSetAdapter(command: "strata fl", accepts: [.synthetic, .movielens])
}
