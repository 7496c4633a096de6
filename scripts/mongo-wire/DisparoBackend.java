import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreTool;

/**
 * mongo-java-server's H2 backend, one MVStore file per database (DATA_DIR/NAME.mv), or in memory
 * when there is no directory.
 *
 * Why one file per database: dropping a database deletes its file, so the space comes back at
 * once (upstream removes the maps from one shared file that never shrinks). Why no background
 * compaction (autoCompactFillRate 0): H2 2.x's background compaction rewrites live pages while a
 * reader may still walk the old ones, which ends in "Chunk N not found" (h2database#4383, open,
 * reproduced on 2.4.240 and master); files are compacted when the server starts instead, before
 * any reader exists. listDatabases answers from the open databases instead of opening a second
 * copy of each (upstream re-opens every database for it, racing with concurrent drops).
 */
final class DisparoBackend extends AbstractMongoBackend {
  private static final String SUFFIX = ".mv";
  /** Files above this size are compacted at start-up. */
  private static final long COMPACT_ABOVE_BYTES = 8L << 20;
  /** MVStore page cache per database (MB): a read of scattered documents deserialises whole pages. */
  private static final int CACHE_MB = Integer.getInteger("disparo.cacheMb", 256);

  private final Path dir;
  private final Map<String, MVStore> stores = new ConcurrentHashMap<>();

  DisparoBackend(Path dir) {
    this.dir = dir;
    if (dir == null) return;
    try {
      Files.createDirectories(dir);
      List<String> names = new ArrayList<>();
      try (Stream<Path> files = Files.list(dir)) {
        files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(SUFFIX)).sorted().forEach(n -> names.add(n.substring(0, n.length() - SUFFIX.length())));
      }
      for (String name : names) {
        String file = fileOf(name).toString();
        MVStoreTool.compactCleanUp(file);
        long before = Files.size(fileOf(name));
        if (before > COMPACT_ABOVE_BYTES) {
          long started = System.nanoTime();
          MVStoreTool.compact(file, false);
          System.out.printf("compacted %s: %.1f MB -> %.1f MB in %d ms%n", name, before / 1e6, Files.size(fileOf(name)) / 1e6,
              (System.nanoTime() - started) / 1_000_000);
        }
        long started = System.nanoTime();
        resolveDatabase(name);
        System.out.printf("opened %s (indexes built) in %d ms%n", name, (System.nanoTime() - started) / 1_000_000);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path fileOf(String databaseName) {
    return dir.resolve(databaseName + SUFFIX);
  }

  @Override
  protected synchronized MongoDatabase openOrCreateDatabase(String databaseName) {
    MVStore.Builder builder = new MVStore.Builder().autoCompactFillRate(0).cacheSize(CACHE_MB);
    if (dir != null) builder.fileName(fileOf(databaseName).toString());
    MVStore store = builder.open();
    stores.put(databaseName, store);
    return new DisparoDatabase(databaseName, store, getCursorRegistry(), this);
  }

  /** A dropped database: its store is closed and its file deleted. */
  synchronized void release(String databaseName, MVStore store) {
    stores.remove(databaseName, store);
    store.closeImmediately();
    if (dir != null) {
      try {
        Files.deleteIfExists(fileOf(databaseName));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Bytes of all open databases' files. */
  long totalFileBytes() {
    return stores.values().stream().mapToLong(s -> s.getFileStore() == null ? 0 : s.getFileStore().size()).sum();
  }

  @Override
  public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
    if (databaseName.equals("admin") && command.equalsIgnoreCase("listDatabases")) {
      List<Document> databases = new ArrayList<>();
      long total = 0;
      for (String name : listDatabaseNames().stream().sorted().toList()) {
        MVStore store = stores.get(name);
        if (store == null || store.isClosed()) continue;
        long size = store.getFileStore() == null ? 0 : store.getFileStore().size();
        total += size;
        Document db = new Document("name", name);
        db.put("sizeOnDisk", size);
        db.put("empty", resolveDatabase(name).isEmpty());
        databases.add(db);
      }
      Document response = new Document("databases", databases);
      response.put("totalSize", total);
      response.put("ok", 1.0);
      return response;
    }
    return super.handleCommand(channel, databaseName, command, query);
  }

  @Override
  public void close() {
    super.close();
    for (MVStore store : stores.values()) {
      if (!store.isClosed()) store.close();
    }
    stores.clear();
  }
}
