import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Disparo's local MongoDB-wire server: mongo-java-server, whose collections apply each write under a
 * lock, so conditional updates (claims) and $inc are atomic as in MongoDB. FerretDB v1 was tried
 * first and is not (docs/infrastructure.md). DisparoBackend adds secondary indexes and keeps one H2
 * file per database.
 *
 * Usage: MongoWire HOST PORT [DATA_DIR]   (no directory: in memory)
 */
public final class MongoWire {
  /** The Node.js driver 7 needs wire version 9+ (MongoDB 4.4); report MongoDB 5.0's. */
  private static final MongoVersion MONGO_5_0 = new MongoVersion() {
    @Override
    public List<Integer> getVersionArray() {
      return List.of(5, 0, 0);
    }

    @Override
    public int getWireVersion() {
      return 13;
    }
  };

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    MongoBackend backend = new DisparoBackend(args.length > 2 ? Path.of(args[2]) : null);
    backend.version(MONGO_5_0);
    MongoServer server = new MongoServer(backend);
    // Netty's default is 2 × cores event-loop threads shared by every connection: one long command
    // (a big import's batch, an updateMany) then stalls every other connection on its thread, even
    // on other collections and databases. Many threads (idle ones cost little) leave the collection
    // locks as the only thing one client can wait on.
    server.bind(new InetSocketAddress(host, port), 1, Integer.getInteger("disparo.ioThreads", 64));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      backend.close();
    }));
    System.out.println("mongo-wire listening on " + host + ":" + port);
    Thread.currentThread().join();
  }
}
