import java.nio.file.Path;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public final class HarnessNeo4j {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Path conf = Path.of(args[1]);
        boolean watchStdin = args.length > 2 && args[2].equals("--watch-stdin");
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(conf)
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown));
        dbms.database("neo4j");
        System.out.println("HARNESS_NEO4J_READY");
        System.out.flush();
        if (watchStdin) {
            while (System.in.read() != -1) { }
            System.exit(0);
        }
        Thread.currentThread().join();
    }
}
