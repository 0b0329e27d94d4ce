// Amplify's React Native support must load before anything that uses Amplify.
import '@aws-amplify/react-native';
import { registerRootComponent } from 'expo';
import App from './src/App';
import { configureBackend } from './src/backend';

configureBackend();

registerRootComponent(App);
