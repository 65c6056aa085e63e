// Runs Neo4j Community embedded, with its Bolt connector, for local development and tests.
// Usage: java -cp <classpath> Launcher.java HOME_DIR CONFIG_FILE
// CONFIG_FILE holds neo4j.conf settings (c360 writes it: Bolt on loopback, memory, timeouts, logs).
// The `neo4j` user's password comes from C360_NEO4J_PASSWORD when authentication is enabled.
// Neo4j Community is GPLv3.
import java.nio.file.Path;
import java.util.Map;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public class Launcher {
    public static void main(String[] args) throws Exception {
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(Path.of(args[0]).toAbsolutePath())
            .loadPropertiesFromFile(Path.of(args[1]).toAbsolutePath())
            .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "neo4j-shutdown"));
        String password = System.getenv().getOrDefault("C360_NEO4J_PASSWORD", "");
        if (!password.isEmpty()) {
            setPassword(dbms, password);
        }
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }

    // On a restart the password is usually already set; Neo4j refuses to "change" it to itself.
    private static void setPassword(DatabaseManagementService dbms, String password) {
        try {
            dbms.database("system").executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (String.valueOf(t.getMessage()).contains("cannot be the same")) {
                    return;
                }
            }
            throw e;
        }
    }
}
