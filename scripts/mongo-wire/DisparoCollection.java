import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.ArrayFilters;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DefaultQueryMatcher;
import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryParameters;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.IndexBuildFailedException;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.h2.mvstore.MVMap;

/**
 * An H2 collection that answers a query from its most selective index instead of the first one
 * that accepts it, and reads the _id index (or any unique index) when the query names its keys
 * among others (a claim `{_id, status}` is a point read, not a scan). Every candidate is still
 * matched against the whole query.
 *
 * Locking (upstream: every read and write under the collection's monitor, so one client's
 * 1,000-document insert made every reader of the collection wait for all of it):
 * - writes (insert, update, delete, findAndModify, index changes) take a fair write lock, one at
 *   a time, so claims and $inc stay atomic; a waiting write goes next (FIFO), not whenever the
 *   monitor happens to be free;
 * - a batch insert gives the lock up between documents once it has held it for WRITE_SLICE and
 *   another write waits (MongoDB inserts a batch one document at a time too);
 * - reads (find, count, aggregate, distinct) take no lock: the H2 map and the indexes are
 *   concurrent structures, and a stored document is never changed in place (a write changes a
 *   copy and puts it back), so a reader sees each document before or after a write, as in MongoDB.
 *   A document whose indexed keys change may be missed by a read running at that moment (MongoDB
 *   documents the same for reads that yield).
 * The time writes wait for the lock is counted (disparoIndexStats: lock).
 */
final class DisparoCollection extends H2Collection {
  /** A batch insert gives the write lock up after holding it this long, if another write waits. */
  private static final long WRITE_SLICE_NANOS = Long.getLong("disparo.writeSliceMicros", 2_000L) * 1_000L;
  /** Upstream's matcher keeps state between calls (the positional $): one per thread for reads. */
  private static final ThreadLocal<DefaultQueryMatcher> MATCHERS = ThreadLocal.withInitial(DefaultQueryMatcher::new);

  private final ReentrantLock writeLock = new ReentrantLock(true);
  /** Whether the write holding the lock gets copies of the documents it matches (see createQueryResult). */
  private boolean copyMatches = true;
  private final MVMap<Object, Document> data;
  /** Write-lock acquisitions, and how long they waited (ns): total, maximum, over 10 / 100 ms. */
  private final AtomicLong acquired = new AtomicLong();
  private final AtomicLong waitedNanos = new AtomicLong();
  private final AtomicLong maxWaitNanos = new AtomicLong();
  private final AtomicLong waitsOver10ms = new AtomicLong();
  private final AtomicLong waitsOver100ms = new AtomicLong();

  DisparoCollection(MongoDatabase database, String collectionName, CollectionOptions options,
      MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap, CursorRegistry cursorRegistry) {
    super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
    this.data = dataMap;
  }

  // ---- the write lock ----

  private void lock() {
    if (writeLock.isHeldByCurrentThread()) {
      writeLock.lock();
      return;
    }
    long started = System.nanoTime();
    writeLock.lock();
    long waited = System.nanoTime() - started;
    acquired.incrementAndGet();
    waitedNanos.addAndGet(waited);
    maxWaitNanos.accumulateAndGet(waited, Math::max);
    if (waited > 10_000_000L) waitsOver10ms.incrementAndGet();
    if (waited > 100_000_000L) waitsOver100ms.incrementAndGet();
  }

  private <T> T writing(Supplier<T> body) {
    lock();
    try {
      return body.get();
    } finally {
      writeLock.unlock();
    }
  }

  private void writing(Runnable body) {
    writing(() -> {
      body.run();
      return null;
    });
  }

  @Override
  public void addDocument(Document document) {
    writing(() -> super.addDocument(document));
  }

  @Override
  public void addDocuments(Stream<Document> documents) {
    writing(() -> super.addDocuments(documents));
  }

  @Override
  public Document findAndModify(Document query) {
    return writing(() -> super.findAndModify(query));
  }

  @Override
  public int deleteDocuments(Document selector, int limit, Oplog oplog) {
    return writing(() -> {
      copyMatches = false; // a delete only reads what it removes
      try {
        return super.deleteDocuments(selector, limit, oplog);
      } finally {
        copyMatches = true;
      }
    });
  }

  @Override
  public Document updateDocuments(Document selector, Document updateQuery, ArrayFilters arrayFilters, boolean isMulti,
      boolean isUpsert, Oplog oplog) {
    return writing(() -> super.updateDocuments(selector, updateQuery, arrayFilters, isMulti, isUpsert, oplog));
  }

  @Override
  public void removeDocument(Document document) {
    writing(() -> super.removeDocument(document));
  }

  @Override
  public void renameTo(MongoDatabase newDatabase, String newCollectionName) {
    writing(() -> super.renameTo(newDatabase, newCollectionName));
  }

  @Override
  public void dropIndex(String indexName) {
    writing(() -> super.dropIndex(indexName));
  }

  /**
   * One document at a time, as upstream, but the lock is given up between documents once held for
   * WRITE_SLICE while another write waits, so a claim or a small company's write is not stuck
   * behind a whole import batch. Errors are reported per document as upstream does.
   */
  @Override
  public List<Document> insertDocuments(List<Document> documents, boolean isOrdered) {
    List<Document> writeErrors = new ArrayList<>();
    int i = 0;
    while (i < documents.size()) {
      lock();
      try {
        long started = System.nanoTime();
        do {
          try {
            super.addDocument(documents.get(i));
          } catch (MongoServerError e) {
            Document error = new Document("index", i);
            error.put("errmsg", e.getMessageWithoutErrorCode());
            error.put("code", e.getCode());
            error.putIfNotNull("codeName", e.getCodeName());
            writeErrors.add(error);
            if (isOrdered) return writeErrors;
          }
          i++;
        } while (i < documents.size() && !(System.nanoTime() - started > WRITE_SLICE_NANOS && writeLock.hasQueuedThreads()));
      } finally {
        writeLock.unlock();
      }
    }
    return writeErrors;
  }

  // ---- reads: no lock ----

  /** Upstream's, without the monitor (see the class comment). */
  @Override
  public QueryResult handleQuery(QueryParameters parameters) {
    Document selector = parameters.getQuerySelector();
    Document query = selector;
    Document orderBy = null;
    if (selector.containsKey("query")) {
      query = (Document) selector.get("query");
      orderBy = (Document) selector.get("orderby");
    } else if (selector.containsKey("$query")) {
      query = (Document) selector.get("$query");
      orderBy = (Document) selector.get("$orderby");
    }
    return queryDocuments(query, orderBy, parameters.getNumberToSkip(), parameters.getLimit(), parameters.getBatchSize(),
        parameters.getProjection());
  }

  @Override
  protected boolean documentMatchesQuery(Document document, Document query) {
    return MATCHERS.get().matches(document, query);
  }

  /**
   * Inside a write, the matched documents are handed out as copies, each made when the write takes
   * it (an updateOne or a findAndModify takes one): upstream's update changes the document it read
   * in place, which would change the stored one under a reader's feet (and under H2's background
   * writer, which serialises it). Matching itself reads the stored documents.
   */
  @Override
  protected QueryResult createQueryResult(List<Document> matchedDocuments, int batchSize) {
    if (!writeLock.isHeldByCurrentThread() || !copyMatches || batchSize > 0) {
      return super.createQueryResult(matchedDocuments, batchSize);
    }
    return new QueryResult(() -> matchedDocuments.stream().map(Document::cloneDeeply).iterator());
  }

  @Override
  protected QueryResult matchDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
      Document fieldSelector) {
    Stream<Document> all = isNaturalDescending(orderBy)
        ? streamAllDocumentsWithPosition()
            .sorted((a, b) -> ValueComparator.desc().compare(a.getPosition(), b.getPosition()))
            .map(DocumentWithPosition::getDocument)
        : data.values().stream();
    return matchDocumentsFromStream(all, query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
  }

  /**
   * A new (or re-opened, hence empty) SortedIndex is filled in one pass over the documents, under
   * the collection's lock (upstream makes two passes, without the lock); add() checks uniqueness.
   */
  @Override
  public void addIndex(Index<Object> index) {
    writing(() -> addIndexLocked(index));
  }

  private void addIndexLocked(Index<Object> index) {
    boolean known = getIndexes().stream().anyMatch(i -> i.getName().equals(index.getName()));
    if (!(index instanceof SortedIndex) || known || !index.isEmpty()) {
      super.addIndex(index);
      return;
    }
    try {
      streamAllDocumentsWithPosition().forEach(d -> index.add(d.getDocument(), d.getPosition(), this));
    } catch (MongoServerError e) {
      index.drop();
      throw new IndexBuildFailedException(e, this);
    }
    getIndexes().add(index);
  }

  /** The index that narrows the query most, and the part of the query it reads; null: none. */
  private Object[] choose(Document query) {
    if (query == null || query.isEmpty()) return null;
    Index<Object> best = null;
    Document bestQuery = null;
    int bestScore = 0;
    // a snapshot: a write may add or drop an index while this read plans (toArray never throws)
    @SuppressWarnings("unchecked")
    Index<Object>[] indexes = getIndexes().toArray(new Index[0]);
    for (Index<Object> index : indexes) {
      if (index == null) continue;
      if (index instanceof SortedIndex) {
        SortedIndex sorted = (SortedIndex) index;
        SortedIndex.Plan plan = sorted.plan(query);
        // a point read on _id, or on every key of a unique index, beats any prefix
        int score = plan == null ? 0
            : !plan.range && (sorted.primary || sorted.isUnique() && plan.prefix.size() == sorted.getKeys().size()) ? 1000 + plan.score()
            : plan.score();
        if (score > bestScore) {
          best = index;
          bestQuery = query;
          bestScore = score;
        }
      } else {
        // upstream unique index (_id): it handles a query whose keys are exactly its own
        Document sub = new Document();
        for (IndexKey key : index.getKeys()) {
          if (!query.containsKey(key.getKey())) {
            sub = null;
            break;
          }
          sub.put(key.getKey(), query.get(key.getKey()));
        }
        if (sub != null && index.canHandle(sub) && 1000 > bestScore) {
          best = index;
          bestQuery = sub;
          bestScore = 1000;
        }
      }
    }
    return best == null ? null : new Object[] {best, bestQuery};
  }

  @Override
  protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
      Document fieldSelector) {
    Object[] chosen = choose(query);
    if (chosen == null) return matchDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
    @SuppressWarnings("unchecked")
    Index<Object> index = (Index<Object>) chosen[0];
    Iterable<Object> positions = index.getPositions((Document) chosen[1]);
    Stream<Document> candidates = StreamSupport.stream(positions.spliterator(), false).map(this::getDocument).filter(Objects::nonNull);
    return matchDocumentsFromStream(candidates, query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
  }

  /**
   * For an aggregation that starts with {$match: query}: the documents an index gives as
   * candidates (unfiltered; the pipeline's own $match filters them), read without a lock. Null
   * when no index applies (the pipeline then reads the whole collection, as upstream does).
   */
  List<Document> candidates(Document match) {
    Object[] chosen = choose(match);
    if (chosen == null) return null;
    @SuppressWarnings("unchecked")
    Index<Object> index = (Index<Object>) chosen[0];
    List<Document> result = new ArrayList<>();
    for (Object position : index.getPositions((Document) chosen[1])) {
      Document document = getDocument(position);
      if (document != null) result.add(document);
    }
    return result;
  }

  /** Write-lock waits (the disparoIndexStats command's lock). */
  Document lockStats() {
    Document d = new Document("acquired", acquired.get());
    d.put("waitMsTotal", waitedNanos.get() / 1_000_000L);
    d.put("waitMsMax", maxWaitNanos.get() / 1e6);
    d.put("waitsOver10ms", waitsOver10ms.get());
    d.put("waitsOver100ms", waitsOver100ms.get());
    return d;
  }

  /** Per index: entries and lookups served (the disparoIndexStats command). */
  List<Document> indexStats() {
    return getIndexes().stream().map(index -> {
      Document d = new Document("name", index.getName());
      d.put("unique", index.isUnique());
      d.put("entries", index.getCount());
      d.put("lookups", index instanceof SortedIndex ? ((SortedIndex) index).lookups.get() : -1L);
      return d;
    }).collect(Collectors.toList());
  }
}
