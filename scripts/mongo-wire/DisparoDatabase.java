import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;
import java.lang.reflect.Field;
import java.util.List;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * One database in its own MVStore file: secondary (and non-_id unique) indexes are SortedIndex,
 * collections are DisparoCollection, an aggregation starting with $match reads its candidates from
 * an index, and dropping the database closes and deletes its file (the space is released at once).
 */
final class DisparoDatabase extends H2Database {
  private static final Field MV_STORE;

  static {
    try {
      MV_STORE = H2Database.class.getDeclaredField("mvStore");
      MV_STORE.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final DisparoBackend backend;

  DisparoDatabase(String databaseName, MVStore mvStore, CursorRegistry cursorRegistry, DisparoBackend backend) {
    super(databaseName, mvStore, cursorRegistry);
    this.backend = backend;
  }

  /** H2Database keeps its store private; the overrides below run from its constructor. */
  MVStore store() {
    try {
      return (MVStore) MV_STORE.get(this);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
    String full = getFullCollectionNamespace(collectionName);
    MVMap<Object, Document> dataMap = store().openMap("databases." + full);
    MVMap<String, Object> metaMap = store().openMap("meta." + full);
    return new DisparoCollection(this, collectionName, options, dataMap, metaMap, cursorRegistry);
  }

  @Override
  protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
    return new SortedIndex(indexName, keys, sparse, false, "_id");
  }

  @Override
  protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
    // _id too: H2's persisted unique index compares its keys by Java-serialising them, which made
    // every insert pay for dozens of serialisations; this one is rebuilt when the database opens.
    return new SortedIndex(indexName, keys, sparse, true, "_id");
  }

  @Override
  public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver databaseResolver, Oplog oplog) {
    if (command.equalsIgnoreCase("aggregate") && query.get(command) instanceof String) {
      Document answer = indexedAggregate((String) query.get(command), query, databaseResolver, oplog);
      if (answer != null) return answer;
    }
    if (command.equalsIgnoreCase("disparoIndexStats") && query.get(command) instanceof String) {
      MongoCollection<Object> collection = resolveCollection((String) query.get(command), false);
      Document answer = new Document("indexes", collection instanceof DisparoCollection ? ((DisparoCollection) collection).indexStats() : List.of());
      if (collection instanceof DisparoCollection) answer.put("lock", ((DisparoCollection) collection).lockStats());
      answer.put("ok", 1.0);
      return answer;
    }
    return super.handleCommand(channel, command, query, databaseResolver, oplog);
  }

  private Document indexedAggregate(String collectionName, Document query, DatabaseResolver databaseResolver, Oplog oplog) {
    List<Document> pipeline = Aggregation.parse(Aggregation.parse(query.get("pipeline")));
    if (pipeline.isEmpty() || !(pipeline.get(0).get("$match") instanceof Document)) return null;
    MongoCollection<Object> collection = resolveCollection(collectionName, false);
    if (!(collection instanceof DisparoCollection)) return null;
    List<Document> candidates = ((DisparoCollection) collection).candidates((Document) pipeline.get(0).get("$match"));
    if (candidates == null) return null;
    Aggregation aggregation = Aggregation.fromPipeline(pipeline, databaseResolver, this, collection, oplog);
    aggregation.validate(query);
    List<Document> result = aggregation.runStages(candidates.stream());
    Document cursor = new Document("id", 0L);
    cursor.put("ns", getFullCollectionNamespace(collectionName));
    cursor.put("firstBatch", result);
    Document response = new Document("cursor", cursor);
    response.put("ok", 1.0);
    return response;
  }

  @Override
  public void drop(Oplog oplog) {
    super.drop(oplog);
    backend.release(getDatabaseName(), store());
  }
}
