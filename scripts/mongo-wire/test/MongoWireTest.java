import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Unit test of the wrapper (DisparoBackend, DisparoDatabase, DisparoCollection, SortedIndex),
 * through the backend's command interface as the wire server calls it. Every query runs on an
 * indexed collection and on an unindexed twin that received the same writes; the answers must be
 * the same, and the indexed one must have been answered by an index. Exit status 0 = passed.
 *
 * Run: java -cp CLASSES:LIB/* MongoWireTest   (test/integration/mongo-wire-unit.test.ts runs it)
 */
public final class MongoWireTest {
  /** One channel per thread, as one client connection each (the server keeps a last result per channel). */
  private static final ThreadLocal<EmbeddedChannel> CHANNELS = ThreadLocal.withInitial(EmbeddedChannel::new);
  private static int checks;

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("mongo-wire-test-");
    try {
      long t0 = System.nanoTime();
      inMemory();
      long t1 = System.nanoTime();
      onFiles(dir);
      long t2 = System.nanoTime();
      atomicity();
      long t3 = System.nanoTime();
      comparatorMatchesUpstream();
      long t4 = System.nanoTime();
      storedDocumentsNeverChangeInPlace();
      readsAndClaimsDoNotWaitForABatch();
      System.out.printf("comparator %d ms%n", (t4 - t3) / 1_000_000);
      System.out.printf("in memory %d ms, on files %d ms, atomicity %d ms, locking %d ms%n", (t1 - t0) / 1_000_000,
          (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, (System.nanoTime() - t3) / 1_000_000);
      System.out.println("MongoWireTest: " + checks + " checks passed");
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.exit(0);
  }

  // ---- helpers ----

  static void check(boolean ok, String what) {
    checks++;
    if (!ok) throw new AssertionError(what);
  }

  static Document cmd(DisparoBackend backend, String db, Document command) {
    String name = command.keySet().iterator().next();
    Document answer = backend.handleCommand(CHANNELS.get(), db, name, command);
    check(answer != null && ((Number) answer.getOrDefault("ok", 0)).doubleValue() == 1.0, name + " answered " + answer);
    return answer;
  }

  static Document doc(Object... kv) {
    Document d = new Document();
    for (int i = 0; i < kv.length; i += 2) d.put((String) kv[i], kv[i + 1]);
    return d;
  }

  @SuppressWarnings("unchecked")
  static List<Document> batch(Document answer) {
    return (List<Document>) ((Document) answer.get("cursor")).get("firstBatch");
  }

  static Set<String> ids(List<Document> documents) {
    return documents.stream().map(d -> String.valueOf(d.get("_id"))).collect(Collectors.toCollection(TreeSet::new));
  }

  static List<Document> find(DisparoBackend backend, String db, String coll, Document filter) {
    return batch(cmd(backend, db, doc("find", coll, "filter", filter, "batchSize", 1_000_000)));
  }

  static long lookups(DisparoBackend backend, String db, String coll) {
    @SuppressWarnings("unchecked")
    List<Document> indexes = (List<Document>) cmd(backend, db, doc("disparoIndexStats", coll)).get("indexes");
    return indexes.stream().mapToLong(i -> Math.max(0, ((Number) i.get("lookups")).longValue())).sum();
  }

  static final ObjectId[] COMPANIES = {new ObjectId(), new ObjectId(), new ObjectId(), new ObjectId()};
  static final ObjectId[] LISTS = new ObjectId[12];

  static {
    for (int i = 0; i < LISTS.length; i++) LISTS[i] = new ObjectId();
  }

  static void createIndexes(DisparoBackend backend, String db, String coll) {
    cmd(backend, db, doc("createIndexes", coll, "indexes", List.of(
        doc("key", doc("companyId", 1, "listIds", 1, "_id", 1), "name", "companyId_1_listIds_1__id_1"),
        doc("key", doc("companyId", 1, "phone", 1), "name", "companyId_1_phone_1", "unique", true),
        doc("key", doc("status", 1, "scheduledAt", 1), "name", "status_1_scheduledAt_1"),
        doc("key", doc("recordedAt", 1), "name", "recordedAt_1"))));
  }

  static Document contact(Random random, int i) {
    Document d = doc("_id", new ObjectId(), "companyId", COMPANIES[i % COMPANIES.length], "phone", "+5511" + (900000000 + i),
        "status", random.nextBoolean() ? "scheduled" : "queued", "scheduledAt", java.time.Instant.ofEpochMilli(1_700_000_000_000L + random.nextInt(1000) * 1000L),
        "recordedAt", java.time.Instant.ofEpochMilli(1_700_000_000_000L + i * 1000L), "n", i);
    int kind = random.nextInt(10);
    if (kind == 0) return d; // no listIds at all
    List<ObjectId> lists = new ArrayList<>();
    if (kind > 1) for (int k = 0; k < 1 + random.nextInt(3); k++) lists.add(LISTS[random.nextInt(LISTS.length)]);
    d.put("listIds", lists); // kind 1: empty array
    return d;
  }

  static List<Document> queries() {
    ObjectId c = COMPANIES[1];
    ObjectId l = LISTS[3];
    java.time.Instant mid = java.time.Instant.ofEpochMilli(1_700_000_000_000L + 500_000L);
    return List.of(
        doc("companyId", c),
        doc("companyId", c, "listIds", l),
        doc("companyId", c, "listIds", doc("$in", List.of(l, LISTS[5]))),
        doc("companyId", doc("$in", List.of(c, COMPANIES[2])), "listIds", l),
        doc("companyId", c, "listIds", doc("$exists", false)),
        doc("companyId", c, "listIds", doc("$size", 0)),
        doc("companyId", c, "listIds", l, "_id", doc("$gt", new ObjectId("000000000000000000000000"))),
        doc("companyId", c, "phone", "+5511900000005"),
        doc("companyId", c, "phone", doc("$in", List.of("+5511900000005", "+5511900000009", "+5511900000013"))),
        doc("listIds", l),
        doc("status", "scheduled", "scheduledAt", doc("$lte", mid)),
        doc("recordedAt", doc("$lt", java.time.Instant.ofEpochMilli(1_700_000_000_000L + 300_000L))),
        doc("$and", List.of(doc("companyId", c), doc("listIds", l))),
        doc("companyId", 42));
  }

  static void compareAll(DisparoBackend backend, String db, String label) {
    long before = lookups(backend, db, "contacts");
    for (Document q : queries()) {
      Set<String> indexed = ids(find(backend, db, "contacts", q));
      Set<String> plain = ids(find(backend, db, "plain", q));
      check(indexed.equals(plain), label + ": " + q + " indexed " + indexed.size() + " vs scan " + plain.size());
      long count = ((Number) cmd(backend, db, doc("count", "contacts", "query", q)).get("n")).longValue();
      check(count == plain.size(), label + ": count " + q + " = " + count + ", expected " + plain.size());
      List<Document> agg = batch(cmd(backend, db, doc("aggregate", "contacts", "pipeline",
          List.of(doc("$match", q), doc("$group", doc("_id", 1, "n", doc("$sum", 1)))), "cursor", new Document())));
      long aggCount = agg.isEmpty() ? 0 : ((Number) agg.get(0).get("n")).longValue();
      check(aggCount == plain.size(), label + ": aggregate count " + q + " = " + aggCount + ", expected " + plain.size());
    }
    check(lookups(backend, db, "contacts") - before >= 3L * (queries().size() - 2), label + ": the indexes answered the leading-key queries");
  }

  static void writeBoth(DisparoBackend backend, String db, Document command) {
    String name = command.keySet().iterator().next();
    Document a = cmd(backend, db, command);
    Document twin = new Document(command);
    twin.put(name, "plain");
    Document b = cmd(backend, db, twin);
    check(String.valueOf(a.get("n")).equals(String.valueOf(b.get("n"))), name + " changed as many documents on both: " + a + " / " + b);
  }

  static void fill(DisparoBackend backend, String db) {
    createIndexes(backend, db, "contacts");
    Random random = new Random(7);
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 4000; i++) docs.add(contact(random, i));
    for (int from = 0; from < docs.size(); from += 500) {
      List<Document> part = docs.subList(from, from + 500);
      cmd(backend, db, doc("insert", "contacts", "documents", part.stream().map(Document::cloneDeeply).collect(Collectors.toList())));
      cmd(backend, db, doc("insert", "plain", "documents", part.stream().map(Document::cloneDeeply).collect(Collectors.toList())));
    }
  }

  static void mutate(DisparoBackend backend, String db) {
    ObjectId c = COMPANIES[1];
    writeBoth(backend, db, doc("update", "contacts", "updates", List.of(
        doc("q", doc("companyId", c, "listIds", LISTS[3]), "u", doc("$addToSet", doc("listIds", LISTS[7])), "multi", true),
        doc("q", doc("companyId", c, "listIds", LISTS[5]), "u", doc("$pull", doc("listIds", LISTS[5])), "multi", true),
        doc("q", doc("companyId", COMPANIES[2], "listIds", LISTS[1]), "u", doc("$set", doc("companyId", c)), "multi", true),
        doc("q", doc("status", "scheduled", "scheduledAt", doc("$lt", java.time.Instant.ofEpochMilli(1_700_000_200_000L))), "u",
            doc("$set", doc("status", "queued")), "multi", true))));
    writeBoth(backend, db, doc("delete", "contacts", "deletes", List.of(doc("q", doc("companyId", c, "listIds", LISTS[7]), "limit", 0))));
    writeBoth(backend, db, doc("delete", "contacts", "deletes", List.of(doc("q", doc("recordedAt", doc("$lt", java.time.Instant.ofEpochMilli(1_700_000_100_000L))), "limit", 0))));
  }

  static void uniqueness(DisparoBackend backend, String db) {
    Document existing = find(backend, db, "contacts", doc("companyId", COMPANIES[3])).get(0);
    Document dup = doc("_id", new ObjectId(), "companyId", COMPANIES[3], "phone", existing.get("phone"));
    Document answer = backend.handleCommand(CHANNELS.get(), db, "insert", doc("insert", "contacts", "documents", List.of(dup)));
    @SuppressWarnings("unchecked")
    List<Document> errors = (List<Document>) answer.get("writeErrors");
    check(errors != null && ((Number) errors.get(0).get("code")).intValue() == 11000, "a duplicate {companyId, phone} is refused with E11000: " + answer);
    Document other = find(backend, db, "contacts", doc("companyId", COMPANIES[3])).get(1);
    Document update = backend.handleCommand(CHANNELS.get(), db, "update", doc("update", "contacts", "updates",
        List.of(doc("q", doc("_id", other.get("_id")), "u", doc("$set", doc("phone", existing.get("phone")))))));
    check(update.get("writeErrors") != null, "an update onto an existing {companyId, phone} is refused: " + update);
    // the same phone in another company is fine
    cmd(backend, db, doc("insert", "contacts", "documents", List.of(doc("companyId", new ObjectId(), "phone", existing.get("phone")))));
  }

  // ---- scenarios ----

  static void inMemory() {
    DisparoBackend backend = new DisparoBackend(null);
    fill(backend, "t");
    compareAll(backend, "t", "in memory, fresh");
    mutate(backend, "t");
    compareAll(backend, "t", "in memory, after updates and deletes");
    uniqueness(backend, "t");
    backend.close();
  }

  static void onFiles(Path dir) {
    DisparoBackend backend = new DisparoBackend(dir);
    fill(backend, "a");
    fill(backend, "b");
    mutate(backend, "a");
    compareAll(backend, "a", "file");
    check(Files.exists(dir.resolve("b.mv")), "one file per database");
    backend.close();

    backend = new DisparoBackend(dir); // restart: the indexes are rebuilt from the files
    compareAll(backend, "a", "file, after a restart");
    uniqueness(backend, "a");
    cmd(backend, "b", doc("dropDatabase", 1));
    check(!Files.exists(dir.resolve("b.mv")), "dropping a database deletes its file");
    @SuppressWarnings("unchecked")
    List<Document> dbs = (List<Document>) cmd(backend, "admin", doc("listDatabases", 1)).get("databases");
    check(dbs.stream().anyMatch(d -> d.get("name").equals("a")) && dbs.stream().noneMatch(d -> d.get("name").equals("b")),
        "listDatabases lists a, not the dropped b: " + dbs);
    fill(backend, "b"); // the same name again, from scratch
    check(find(backend, "b", "contacts", doc("companyId", COMPANIES[0])).size() == 1000, "a re-created database starts empty");
    backend.close();
  }

  static void atomicity() throws Exception {
    DisparoBackend backend = new DisparoBackend(null);
    cmd(backend, "t", doc("createIndexes", "shippings", "indexes", List.of(doc("key", doc("companyId", 1, "status", 1), "name", "companyId_1_status_1"))));
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 200; i++) docs.add(doc("_id", "s" + i, "status", "queued", "companyId", COMPANIES[0], "n", 0));
    check(cmd(backend, "t", doc("insert", "shippings", "documents", docs)).get("writeErrors") == null, "200 shippings inserted");
    ExecutorService pool = Executors.newFixedThreadPool(8, r -> {
      Thread thread = new Thread(r);
      thread.setDaemon(true);
      return thread;
    });
    AtomicInteger wins = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      futures.add(pool.submit(() -> {
        for (int i = 0; i < 200; i++) {
          Document answer = cmd(backend, "t", doc("findAndModify", "shippings", "query", doc("_id", "s" + i, "status", "queued"),
              "update", doc("$set", doc("status", "sending")), "new", true));
          if (answer.get("value") != null) wins.incrementAndGet();
          cmd(backend, "t", doc("update", "shippings", "updates", List.of(doc("q", doc("companyId", COMPANIES[0], "_id", "s0"), "u", doc("$inc", doc("n", 1))))));
        }
        return null;
      }));
    }
    for (Future<?> f : futures) f.get();
    pool.shutdown();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    check(wins.get() == 200, "each of 200 shippings claimed exactly once by 8 racers: " + wins.get());
    Document s0 = find(backend, "t", "shippings", doc("_id", "s0")).get(0);
    check(((Number) s0.get("n")).intValue() == 1600, "1,600 concurrent $inc give 1,600: " + s0.get("n"));
    check(find(backend, "t", "shippings", doc("companyId", COMPANIES[0], "status", "queued")).isEmpty(), "no shipping left queued");
    backend.close();
  }

  /** The index's fast comparison orders values exactly as upstream's ValueComparator (its sign). */
  static void comparatorMatchesUpstream() {
    java.util.Comparator<Object> upstream = de.bwaldvogel.mongo.backend.ValueComparator.ascWithoutListHandling();
    Random random = new Random(7);
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      byte[] bytes = new byte[12];
      random.nextBytes(bytes);
      values.add(new ObjectId(bytes));
      values.add("+55" + random.nextInt(1000) + (random.nextBoolean() ? "é" : "Z"));
      values.add(java.time.Instant.ofEpochMilli(random.nextLong() % 4_000_000_000_000L));
      values.add(random.nextBoolean());
      values.add(random.nextInt(5) * 1.0);
    }
    values.add(null);
    values.add("");
    int compared = 0;
    for (Object a : values) {
      for (Object b : values) {
        int fast = Integer.signum(SortedIndex.VALUES.compare(a, b));
        int slow = Integer.signum(upstream.compare(a, b));
        if (fast != slow) check(false, "order of " + a + " and " + b + ": " + fast + " here, " + slow + " upstream");
        compared++;
      }
    }
    check(compared > 1_000_000, "compared " + compared + " pairs");
  }

  /**
   * Reads take no lock, so a write must never change a stored document in place: a document a
   * reader got before an update keeps its old content, and the next read sees the new one.
   */
  static void storedDocumentsNeverChangeInPlace() {
    DisparoBackend backend = new DisparoBackend(null);
    createIndexes(backend, "m", "contacts");
    cmd(backend, "m", doc("insert", "contacts", "documents", List.of(doc("_id", "c1", "companyId", COMPANIES[0], "phone", "+1",
        "status", "scheduled", "listIds", new ArrayList<>(List.of(LISTS[0]))))));
    Document before = find(backend, "m", "contacts", doc("_id", "c1")).get(0);
    Document beforeByIndex = find(backend, "m", "contacts", doc("companyId", COMPANIES[0], "listIds", LISTS[0])).get(0);
    cmd(backend, "m", doc("update", "contacts", "updates", List.of(doc("q", doc("_id", "c1"),
        "u", doc("$set", doc("status", "queued"), "$addToSet", doc("listIds", LISTS[1])), "multi", true))));
    cmd(backend, "m", doc("findAndModify", "contacts", "query", doc("companyId", COMPANIES[0], "phone", "+1"),
        "update", doc("$set", doc("name", "Ana"))));
    check("scheduled".equals(before.get("status")) && before.get("name") == null && ((List<?>) before.get("listIds")).size() == 1,
        "a document read before the writes is unchanged: " + before);
    check("scheduled".equals(beforeByIndex.get("status")), "also when read through an index: " + beforeByIndex);
    Document after = find(backend, "m", "contacts", doc("_id", "c1")).get(0);
    check("queued".equals(after.get("status")) && "Ana".equals(after.get("name")) && ((List<?>) after.get("listIds")).size() == 2,
        "the next read sees both writes: " + after);
    check(find(backend, "m", "contacts", doc("companyId", COMPANIES[0], "listIds", LISTS[1])).size() == 1, "the index follows");
    backend.close();
  }

  /**
   * One client's large insert batch does not hold up other clients of the collection: reads run
   * without the lock, and a claim (findAndModify) waits at most one slice of the batch, not all of it.
   */
  static void readsAndClaimsDoNotWaitForABatch() throws Exception {
    DisparoBackend backend = new DisparoBackend(null);
    createIndexes(backend, "b", "contacts");
    cmd(backend, "b", doc("insert", "contacts", "documents", List.of(doc("_id", "claim", "companyId", COMPANIES[1], "phone", "+2",
        "status", "scheduled"))));
    Random random = new Random(3);
    List<Document> big = new ArrayList<>();
    for (int i = 0; i < 60_000; i++) big.add(contact(random, i));
    ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
      Thread thread = new Thread(r);
      thread.setDaemon(true);
      return thread;
    });
    long started = System.nanoTime();
    Future<Long> insert = pool.submit(() -> {
      cmd(backend, "b", doc("insert", "contacts", "documents", big, "ordered", false));
      return System.nanoTime();
    });
    while (lookups(backend, "b", "contacts") >= 0 && find(backend, "b", "contacts", doc("companyId", COMPANIES[0])).isEmpty()) {
      Thread.sleep(1);
    }
    long readStarted = System.nanoTime();
    int read = find(backend, "b", "contacts", doc("companyId", COMPANIES[1], "phone", "+2")).size();
    long readDone = System.nanoTime();
    Document claimed = cmd(backend, "b", doc("findAndModify", "contacts", "query", doc("_id", "claim", "status", "scheduled"),
        "update", doc("$set", doc("status", "queued")), "new", true));
    long claimDone = System.nanoTime();
    long insertDone = insert.get();
    pool.shutdown();
    check(read == 1 && claimed.get("value") != null, "read and claimed during the batch");
    check(claimDone < insertDone, String.format("the claim (%.1f ms) ended before the 60,000-document batch (%.1f ms)",
        (claimDone - started) / 1e6, (insertDone - started) / 1e6));
    check(readDone - readStarted < 50_000_000L, String.format("a point read during the batch took %.1f ms", (readDone - readStarted) / 1e6));
    Document lock = (Document) cmd(backend, "b", doc("disparoIndexStats", "contacts")).get("lock");
    check(((Number) lock.get("acquired")).longValue() > 2, "the batch gave the lock up in slices: " + lock);
    check(find(backend, "b", "contacts", doc()).size() == 60_001, "every document inserted");
    backend.close();
  }
}
