import Data
import Foundation

/// Movies 10...70 are dense 0...6. User 3 (dense 0) and user 7 (dense 1);
/// with 2 eval ratings per user, sorted rating index : (user, t, movie, label):
///
///     0: 3  50 20 1   train        5: 7 200 30 1   train (same t as 4)
///     1: 3  60 10 0   eval         6: 7 300 40 0   train
///     2: 3  70 30 1   eval         7: 7 400 50 1   train
///     3: 7 100 10 1   train        8: 7 500 60 1   eval
///     4: 7 200 20 0   train        9: 7 500 70 0   eval (same t as 8)
func tinyMovieLens(_ edit: (inout MovieLensConfig) -> Void = { _ in }) throws -> MovieLensDataset {
    let dir = (temporaryPath("x") as NSString).deletingLastPathComponent
    try """
    movieId,title,genres
    10,A (1995),Comedy
    20,"B, The (2001)",Drama|Comedy
    30,C (1990),Drama
    40,D,Action
    50,E (2010),Comedy
    60,F (2011),Drama
    70,G (2012),Action

    """.write(toFile: dir + "/ml-latest-small-movies.csv", atomically: true, encoding: .utf8)
    // Out of order on purpose: the reader sorts by (user, time, movie).
    try """
    userId,movieId,rating,timestamp
    7,70,1.0,500
    7,10,5.0,100
    7,30,4.0,200
    7,20,2.0,200
    3,20,4.0,50
    7,40,1.0,300
    7,50,4.5,400
    3,10,1.5,60
    3,30,5.0,70
    7,60,5.0,500

    """.write(toFile: dir + "/ml-latest-small-ratings.csv", atomically: true, encoding: .utf8)
    var cfg = MovieLensConfig()
    cfg.evalPerUser = 2; cfg.sessionGapSeconds = 0; cfg.historyLength = 10; cfg.historyFeedback = true
    edit(&cfg)
    return try MovieLensDataset(directory: dir, config: cfg)
}
